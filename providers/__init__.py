"""Pure-Python gateway clients: requests + stdlib, no torch, no ComfyUI."""
