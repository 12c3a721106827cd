"""Reading storyboard answers: every accepted form, and broken answers."""
from __future__ import annotations

import pytest

from conftest import submodule

shots = submodule("providers.shots")
errors = submodule("providers.errors")


def test_json_array_of_strings_and_objects():
    assert shots.parse_shots('["a cat", " a dog "]', 2) == ["a cat", "a dog"]
    answer = 'Here:\n```json\n[{"prompt": "one"}, {"prompt": "two"}, {"prompt": "three"}]\n```'
    assert shots.parse_shots(answer, 2) == ["one", "two"]


def test_numbered_lines_with_continuations():
    answer = "Storyboard:\n1. A fox wakes.\n   It yawns.\n2) The fox runs.\nShot 3: The fox sleeps."
    assert shots.parse_shots(answer, 3) == ["A fox wakes. It yawns.", "The fox runs.",
                                            "The fox sleeps."]


def test_paragraphs():
    assert shots.parse_shots("A fox\nwakes.\n\n\nThe fox runs.\n", 2) == ["A fox wakes.",
                                                                         "The fox runs."]


def test_fewer_than_asked_names_what_it_got():
    with pytest.raises(errors.GatewayError) as caught:
        shots.parse_shots("1. one\n2. two", 3)
    assert "Asked for 3 shots" in str(caught.value) and "holds 2" in str(caught.value)
    assert "numbered lines" in str(caught.value)


@pytest.mark.parametrize("answer", ["", "   \n\n ", "[]"])
def test_no_shots(answer):
    with pytest.raises(errors.GatewayError):
        shots.parse_shots(answer, 1)


def test_broken_json_falls_back():
    assert shots.parse_shots('["one", "two"', 1) == ['["one", "two"']


def test_system_prompt_asks_for_the_form_read():
    text = shots.SHOTS_SYSTEM_PROMPT.format(count=4)
    assert "4 shots" in text and "JSON array" in text
