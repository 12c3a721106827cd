"""ComfyUI glue: one module per kind of operation."""
from . import image, llm, queue_check, shots, tasks, video, video_join
from .costs import PAID_NODES

NODE_CLASSES = (*llm.NODES, *shots.NODES, *image.NODES, *video.NODES, *video_join.NODES,
                *tasks.NODES)

NODE_CLASS_MAPPINGS = {cls.__name__: cls for cls in NODE_CLASSES}
NODE_DISPLAY_NAME_MAPPINGS = {cls.__name__: cls.NODE_NAME for cls in NODE_CLASSES}

queue_check.install(NODE_CLASS_MAPPINGS[name] for name in PAID_NODES)
