"""Model Gateway Nodes: SeaCloud, GPTunnel, CloudBase and OpenComputing as ComfyUI nodes.
Keys come from the environment or a keys file, never from the workflow."""
from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS

WEB_DIRECTORY = "./web"

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
