"""lanescreen's plate recogniser: a small all-convolutional CRNN read out with CTC.

This file is also the network definition EasyOCR imports for the shipped model: the exporter copies
it verbatim as ``NAME.py`` into the user-network directory, and EasyOCR builds
``Model(num_class=..., **network_params)``. So it imports nothing but torch, and ``forward`` takes
(and ignores) EasyOCR's ``text`` argument.

Sized for one plate crop in a few milliseconds on one CPU core. At ``imgH`` 32 the convolutions
bring height to 1 and width to width / 4, and the columns are then interpolated ``time_scale``
(2) times: a US plate's crop (about 1.7:1 with the pipeline's margin, so 55 px wide at ``imgH``
32) gives 27 time steps, enough for 7 characters and the blanks CTC needs between repeated ones.
Width / 4 alone gives 13 steps and drops characters (5% of US crops read exactly after 8000
steps). Trained from scratch at width / 2, CTC sits in its all-blank plateau for thousands of
steps (measured: loss 3.4 after 1800 steps, where width / 4 reaches 1.7 by step 1000), so
training starts at ``time_scale`` 1 and switches to 2 (see ``TrainConfig.coarse_steps``).
The sequence head is dilated 1-D convolutions rather than a BiLSTM: on one core EasyOCR's
dynamically quantised LSTM alone cost about 2.5 ms of a 10 ms budget, and plates need only
local context.
"""

from __future__ import annotations

import torch
from torch import nn


def _conv(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


def _conv1d(c_in: int, c_out: int, dilation: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(c_in, c_out, 3, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm1d(c_out),
        nn.ReLU(inplace=True),
    )


class FeatureExtractor(nn.Module):
    """VGG-style stack: (1, 32, W) -> (C, 1, W / 4).

    The strided stem and the early pooling keep the costly full-resolution layers to one; the
    channels grow as the resolution falls.
    """

    def __init__(self, input_channel: int, output_channel: int) -> None:
        super().__init__()
        mid = output_channel // 2
        self.body = nn.Sequential(
            _conv(input_channel, 32, stride=2),  # 16 x W/2
            nn.MaxPool2d(2, 2),  # 8 x W/4
            _conv(32, mid),
            _conv(mid, mid),
            nn.MaxPool2d((2, 1), (2, 1)),  # 4 x W/4
            _conv(mid, output_channel),
            nn.MaxPool2d((2, 1), (2, 1)),  # 2 x W/4
            nn.Conv2d(output_channel, output_channel, (2, 3), padding=(0, 1), bias=False),
            nn.BatchNorm2d(output_channel),
            nn.ReLU(inplace=True),  # 1 x W/4
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(image)
        return out


class SequenceHead(nn.Module):
    """Dilated 1-D convolutions over the columns: receptive field 15 columns (30 input px at
    ``imgH`` 32 and ``time_scale`` 2, two or three characters), so a character is read knowing
    its neighbours."""

    def __init__(self, channels: int, hidden_size: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv1d(channels, hidden_size, 1),
            _conv1d(hidden_size, hidden_size, 2),
            _conv1d(hidden_size, hidden_size, 4),
        )

    def forward(self, columns: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(columns)
        return out


class Model(nn.Module):
    """``(B, 1, 32, W)`` in [-1, 1] -> ``(B, W / 4 * time_scale, num_class)`` logits, class 0 =
    CTC blank."""

    def __init__(
        self,
        input_channel: int,
        output_channel: int,
        hidden_size: int,
        num_class: int,
        time_scale: int = 2,
    ) -> None:
        super().__init__()
        self.time_scale = time_scale
        """Output steps per width / 4 column (training switches it from 1 to 2; see above)."""
        self.FeatureExtraction = FeatureExtractor(input_channel, output_channel)
        self.SequenceModeling = SequenceHead(output_channel, hidden_size)
        self.dropout = nn.Dropout(0.1)
        self.Prediction = nn.Linear(hidden_size + output_channel, num_class)
        # Channels-last weights and input: on one CPU core the forward pass of one crop takes
        # about a fifth less time (max pooling alone about an eighth of it; measured). Loading a
        # state dict keeps the layout.
        self.to(memory_format=torch.channels_last)

    def forward(self, input: torch.Tensor, text: torch.Tensor | None = None) -> torch.Tensor:
        """``text`` is EasyOCR's decoder placeholder; a CTC model does not use it."""
        input = input.contiguous(memory_format=torch.channels_last)
        columns = self.FeatureExtraction(input).squeeze(2)  # B, C, W/4
        if self.time_scale > 1:
            columns = nn.functional.interpolate(
                columns, scale_factor=float(self.time_scale), mode="linear", align_corners=False
            )  # B, C, T = W/4 * time_scale
        context = self.SequenceModeling(columns)
        # The column features also go straight to the classifier: a shortcut that speeds up
        # early training.
        both = torch.cat([context, columns], dim=1).permute(0, 2, 1)  # B, T, C
        logits: torch.Tensor = self.Prediction(self.dropout(both))
        return logits
