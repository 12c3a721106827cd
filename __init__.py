"""Model Gateway Nodes: SeaCloud, GPTunnel, CloudBase and OpenComputing as ComfyUI nodes.
Keys come from the environment or a keys file, never from the workflow."""
from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS
from .nodes.comfy import comfyui_too_old, journal_problem, log
from .nodes.routes import register_with_comfyui

WEB_DIRECTORY = "./web"

if comfyui_too_old():
    log.warning(comfyui_too_old())
journal_setting = journal_problem()
if journal_setting:
    log.error(journal_setting)
register_with_comfyui()

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
