"""ComfyUI glue: one module per kind of operation."""
from . import image, llm, shots, tasks, video, video_join

NODE_CLASSES = (*llm.NODES, *shots.NODES, *image.NODES, *video.NODES, *video_join.NODES,
                *tasks.NODES)

NODE_CLASS_MAPPINGS = {cls.__name__: cls for cls in NODE_CLASSES}
NODE_DISPLAY_NAME_MAPPINGS = {cls.__name__: cls.NODE_NAME for cls in NODE_CLASSES}
