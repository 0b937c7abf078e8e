"""Training the project's own plate reader: synthetic plates to learn from (``synth``) and the
trainer that turns them into EasyOCR custom-model files.

Nothing here is imported by the server; it needs the fonts named in docs/synthetic-plates.md.
"""
