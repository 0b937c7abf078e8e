"""Generated gRPC/protobuf code. Do not edit: run proto/generate.py."""
