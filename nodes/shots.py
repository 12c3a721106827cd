"""Storyboard nodes: the system prompt that asks an LLM for N shots, and the node that reads its
answer into a list of shot prompts (ComfyUI then runs each downstream node once per shot)."""
from __future__ import annotations

MAX_SHOTS = 24

COUNT = ("INT", {"default": 4, "min": 1, "max": MAX_SHOTS, "tooltip":
                 "How many shots the film has."})


class GatewayShotsPrompt:
    NODE_NAME = "Shots System Prompt"
    DESCRIPTION = ("The system prompt that asks any chat model for a storyboard of N shots with "
                   "one consistent subject and style, as a JSON array Shots From LLM Answer "
                   "reads. Connect system_prompt to an LLM node's system_prompt and count to "
                   "Shots From LLM Answer.")
    CATEGORY = "model_gateway/llm"
    RETURN_TYPES = ("STRING", "INT")
    RETURN_NAMES = ("system_prompt", "count")
    OUTPUT_TOOLTIPS = ("The system prompt, for an LLM node's system_prompt input.",
                       "The number of shots, for Shots From LLM Answer's count input.")
    FUNCTION = "prompt"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "count": COUNT,
            "style": ("STRING", {"multiline": True, "default": "", "tooltip":
                      "Optional: what every shot must share besides the subject (a look, a "
                      "palette, a lens), added to the system prompt."}),
        }}

    def prompt(self, count, style=""):
        from ..providers import validation
        from ..providers.shots import SHOTS_SYSTEM_PROMPT

        validation.check_widgets(self.NODE_NAME, self.INPUT_TYPES(), locals())
        text = SHOTS_SYSTEM_PROMPT.format(count=count)
        style = (style or "").strip()
        if style:
            text += f" Every shot shares this style: {style}"
        return (text, count)


class GatewayShotsFromText:
    NODE_NAME = "Shots From LLM Answer"
    DESCRIPTION = ("Reads an LLM's storyboard (a JSON array, numbered lines or paragraphs) into "
                   "a list of shot prompts. A submit node connected to shots runs once per "
                   "shot, side by side, each shot its own job (and its own seed).")
    CATEGORY = "model_gateway/llm"
    RETURN_TYPES = ("STRING", "INT")
    RETURN_NAMES = ("shots", "count")
    OUTPUT_IS_LIST = (True, False)
    OUTPUT_TOOLTIPS = ("The shot prompts, a list: each node downstream runs once per shot.",
                       "How many shots there are.")
    FUNCTION = "shots"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "answer": ("STRING", {"forceInput": True, "tooltip":
                       "The LLM's answer: connect an LLM node's text output."}),
            "count": COUNT,
        }}

    def shots(self, answer, count):
        from ..providers import validation
        from ..providers.shots import parse_shots

        validation.check_widgets(self.NODE_NAME, self.INPUT_TYPES(), locals())
        shots = parse_shots(answer, count, source=self.NODE_NAME)
        return (shots, len(shots))


NODES = (GatewayShotsPrompt, GatewayShotsFromText)
