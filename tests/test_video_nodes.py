"""Video nodes through real HTTP against the emulator: exact fields and files per model family,
validation, await into frames/audio/fps/path, decode options, failures, resume."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
import torch

from conftest import KEYS, PACK, run_in_new_process, submodule, NODES

nodes = NODES
GatewayError = submodule("providers.errors").GatewayError
Reply = submodule("providers.emulator").Reply
media = submodule("providers.emulator.media")
parse_form = submodule("providers.emulator.video").parse_form

DEFAULTS = dict(duration=0, resolution="default", ratio="default", size="default",
                negative_prompt="", off_peak=False, seed=1)


def t2v(model="Seedance 2.0 (Doubao)", **inputs):
    values = {"model": model, "prompt": "a paper boat on a river", **DEFAULTS, **inputs}
    return nodes["OpenComputingTextToVideo"]().submit(**values)[0]


def i2v(model="Seedance 2.0 (Doubao)", **inputs):
    values = {"model": model, "prompt": "the boat sails away", **DEFAULTS,
              "first_frame": torch.rand(1, 320, 480, 3), **inputs}
    return nodes["OpenComputingImageToVideo"]().submit(**values)[0]


def r2v(model="Seedance 2.0 (Doubao)", **inputs):
    values = {"model": model, "prompt": "blend these", **DEFAULTS, **inputs}
    return nodes["OpenComputingReferenceToVideo"]().submit(**values)[0]


def await_video(task, **options):
    values = {"timeout": 60, "max_frames": 0, "frame_step": 1, "max_side": 1024, **options}
    return nodes["GatewayAwaitVideo"]().wait(task, **values)["result"]


class FakeVideo:
    """What ComfyUI's VideoInput offers the pack: a stream source, a duration, save_to."""

    def __init__(self, path: Path, seconds: float):
        self.path, self.seconds = path, seconds

    def get_stream_source(self):
        return str(self.path)

    def get_duration(self):
        return self.seconds

    def save_to(self, path, **_):
        shutil.copy(self.path, path)


def submitted(emulator):
    (call,) = emulator.calls("opencomputing", "/llmage/video")
    assert call.headers["authorization"] == f"Bearer {KEYS['opencomputing']}"
    return parse_form(call)


# -- exact fields per model family ----------------------------------------------------------

@pytest.mark.parametrize("model, inputs, expected", [
    ("Seedance 2.0 (Doubao)", {}, {
        "llmid": "YjjGgxO_Xma8PWsMjJvps", "model": "doubao-seedance-2-0-260128",
        "prompt": "a paper boat on a river", "duration": 5, "resolution": "720p", "ratio": "adaptive"}),
    ("Seedance 2.0 fast (WeToken)", {"duration": 8, "ratio": "9:16", "resolution": "480p"}, {
        "llmid": "TWay-xd0p0pkEX-_Kuhto", "model": "dreamina-seedance-2-0-fast-260128",
        "prompt": "a paper boat on a river", "duration": 8, "resolution": "480p", "ratio": "9:16"}),
    ("Seedance 1.5 pro", {"ratio": "keep_ratio"}, {
        "llmid": "CrEMkFQfRCmbmopZsCqLj", "prompt": "a paper boat on a river", "duration": 12,
        "resolution": "1080p", "radio": "keep_ratio", "ratio": "keep_ratio"}),
    ("Wan 2.6 t2v", {"size": "1280*720", "negative_prompt": "blur", "duration": 10}, {
        "llmid": "u9HZyfDoqU6uKI6M1BTks", "prompt": "a paper boat on a river", "duration": 10,
        "size": "1280*720", "negative_prompt": "blur"}),
    ("Vidu q3 pro", {"off_peak": True, "resolution": "540p"}, {
        "llmid": "r0ill7L0s6PtBS8mkmg-7", "prompt": "a paper boat on a river", "duration": 10,
        "resolution": "540p", "ratio": "16:9", "off_peak": "Y"}),
])
def test_text_to_video_sends_exactly_what_the_model_takes(emulator, model, inputs, expected):
    task = t2v(model, **inputs)
    fields, files = submitted(emulator)
    assert fields == expected and files == {}
    assert emulator.calls()[0].headers["content-type"] == "application/json"
    assert task.jobs[0].kind == "video" and task.jobs[0].label == model


@pytest.mark.parametrize("model, inputs, message", [
    ("Seedance 2.0 fast (Doubao)", {"resolution": "1080p"},
     "resolution must be one of 480p, 720p for Seedance 2.0 fast"),
    ("Seedance 2.0 (Doubao)", {"duration": 16}, "duration must be 4 to 15 seconds for Seedance 2.0"),
    ("Wan 2.6 t2v", {"duration": 7}, "duration must be 5, 10, 15 seconds for Wan 2.6 t2v"),
    ("Vidu q3 pro", {"ratio": "adaptive"}, "ratio must be one of 16:9, 9:16, 4:3, 3:4, 1:1 for Vidu"),
    ("Nope", {}, "model must be one of"),
])
def test_bad_parameters_fail_before_any_request(emulator, model, inputs, message):
    with pytest.raises(ValueError, match="OpenComputing Text to Video: " + message):
        t2v(model, **inputs)
    assert emulator.calls() == []


def test_inputs_a_model_does_not_take_are_not_sent(emulator):
    # the page hides them; a workflow edited elsewhere may still carry values in them
    t2v("Wan 2.6 t2v", resolution="720p", ratio="16:9", off_peak=True)
    fields, _ = submitted(emulator)
    assert fields == {"llmid": "u9HZyfDoqU6uKI6M1BTks", "prompt": "a paper boat on a river",
                      "duration": 15, "size": "1920*1080"}
    emulator.reset()
    t2v("Seedance 1.5 pro", size="1280*720", negative_prompt="blur")
    fields, _ = submitted(emulator)
    assert "size" not in fields and "negative_prompt" not in fields


def test_image_to_video_sends_frames_as_files_under_each_models_names(emulator):
    i2v(last_frame=torch.rand(1, 320, 480, 3))
    fields, files = submitted(emulator)
    assert fields["llmid"] == "UeYax4591ytnPcr9eumry" and fields["duration"] == "5"
    assert [(name, items[0][0], items[0][2]) for name, items in files.items()] == [
        ("image1_file", "first_frame.png", "image/png"), ("image2_file", "last_frame.png", "image/png")]
    emulator.reset()
    i2v("Vidu q2 turbo")
    fields, files = submitted(emulator)
    assert fields["model"] == "viduq2-turbo" and list(files) == ["image_file1"]
    assert emulator.calls()[0].headers["content-type"].startswith("multipart/form-data")


@pytest.mark.parametrize("frame, message", [
    (torch.rand(1, 200, 400, 3), "first_frame is 400x200; this gateway needs at least 300 px"),
    (torch.rand(1, 320, 960, 3), r"first_frame is 960x320 \(aspect 3.00\)"),
    (torch.rand(2, 320, 480, 3), "first_frame holds 2 images; Seedance 2.0 \\(Doubao\\) takes at most 1"),
])
def test_frame_limits(emulator, frame, message):
    with pytest.raises(ValueError, match="OpenComputing Image to Video: " + message):
        i2v(first_frame=frame)
    assert emulator.calls() == []


def test_large_frame_is_downscaled(emulator):
    from PIL import Image
    import io
    i2v(first_frame=torch.full((1, 3500, 7000, 3), 0.5))
    _, files = submitted(emulator)
    assert Image.open(io.BytesIO(files["image1_file"][0][1])).size == (6000, 3000)


def test_reference_to_video_sends_images_videos_and_audios(emulator, tmp_path):
    clip = media.make_mp4(tmp_path / "ref.mp4", width=64, height=64, seconds=1, audio=False)
    audio = {"waveform": torch.zeros(1, 2, 44100), "sample_rate": 44100}
    r2v(images=torch.rand(2, 320, 320, 3), video_1=FakeVideo(clip, 1.0), audio_1=audio)
    fields, files = submitted(emulator)
    assert fields["llmid"] == "dmPXF65TD1riKj9KaxLmg" and fields["duration"] == "12"
    assert fields["resolution"] == "1080p" and "ratio" not in fields
    assert [f[0] for f in files["image_files"]] == ["image_1.png", "image_2.png"]
    assert files["video_files"][0][1] == clip.read_bytes()  # the file itself, not re-encoded
    assert files["audio_files"][0][0] == "audio_1.wav" and files["audio_files"][0][2] == "audio/wav"
    assert files["audio_files"][0][1][:4] == b"RIFF"


def test_reference_rules(emulator, tmp_path):
    clip = media.make_mp4(tmp_path / "ref.mp4", width=64, height=64, seconds=1, audio=False)
    audio = {"waveform": torch.zeros(1, 1, 16000), "sample_rate": 16000}
    node = "OpenComputing Reference to Video: "
    with pytest.raises(ValueError, match=node + "images or a video is needed as a reference: audio alone is not allowed"):
        r2v(audio_1=audio)
    with pytest.raises(ValueError, match=node + "videos last 16.0 s together; at most 15 s"):
        r2v(video_1=FakeVideo(clip, 8.0), video_2=FakeVideo(clip, 8.0))
    with pytest.raises(ValueError, match=node + "images holds 10 images; Seedance 2.0 \\(Doubao\\) takes at most 9"):
        r2v(images=torch.rand(10, 320, 320, 3))
    with pytest.raises(ValueError, match=node + "audio_1 must be an AUDIO"):
        r2v(images=torch.rand(1, 320, 320, 3), audio_1="not audio")
    assert emulator.calls() == []


# -- await: frames, audio, fps, path, cover ----------------------------------------------------

def test_await_video_with_audio(emulator):
    frames, audio, fps, video, path, usage, cover = await_video(t2v())
    assert frames.shape == (24, 96, 160, 3) and frames.dtype == torch.float32
    assert fps == 24.0
    assert audio["sample_rate"] == 44100 and audio["waveform"].shape[:2] == (1, 2)
    assert abs(audio["waveform"].shape[2] - 44100) <= 1024
    assert float(audio["waveform"].abs().max()) > 0.1  # the tone is there
    assert Path(path).is_file() and Path(path).suffix == ".mp4"
    assert video is None  # no comfy_api outside ComfyUI
    assert cover.shape == (1, 96, 160, 3)
    assert json.loads(usage)["tasks"][0]["credits"] == 10
    assert json.loads(usage)["tasks"][0]["action"] == "t2v"
    assert json.loads(await_video(i2v())[5])["tasks"][0]["action"] == "i2v"
    polls = emulator.calls("opencomputing", "/llmage/tasks")
    assert polls and polls[0].method == "GET" and polls[0].query["taskid"]


def test_await_video_without_audio_gives_silence_of_the_right_length(emulator):
    frames, audio, fps, *_ = await_video(t2v("Wan 2.6 t2v"))
    assert frames.shape[0] == 24
    assert audio["waveform"].shape == (1, 1, 44100) and float(audio["waveform"].abs().max()) == 0


def test_decode_options(emulator):
    frames, audio, fps, *_ = await_video(t2v(), max_frames=6, frame_step=2, max_side=80)
    assert frames.shape == (6, 48, 80, 3) and fps == 12.0
    assert abs(audio["waveform"].shape[2] - 44100 // 2) <= 1024  # 12 source frames: 0.5 s


def test_memory_budget_names_the_options(emulator, monkeypatch):
    monkeypatch.setenv("MODEL_GATEWAY_VIDEO_MEMORY_GB", "0.001")
    with pytest.raises(ValueError, match="Gateway Await Video: the decoded video would take .* "
                                         "set max_frames, frame_step or max_side"):
        await_video(t2v())


def test_corrupt_video_is_an_error_and_the_file_is_kept(emulator):
    emulator.jobs.next_outcomes("corrupt")
    with pytest.raises(ValueError, match="kept at") as caught:
        await_video(t2v())
    kept = str(caught.value).split("kept at ")[1].rstrip(".")
    assert Path(kept).is_file()


def test_wrapped_reply_shape(emulator):
    emulator.wrapped_tasks = True
    frames, *_ = await_video(t2v())
    assert frames.shape[0] == 24


def test_failed_task_names_the_reason(emulator):
    emulator.jobs.next_outcomes("blocked")
    with pytest.raises(GatewayError, match="copyright restrictions"):
        await_video(t2v())


def test_unknown_task_id(emulator):
    task = nodes["GatewayTaskFromId"]().task("opencomputing", "123456789", "video")[0]
    with pytest.raises(GatewayError, match="taskid=123456789 not exist") as caught:
        await_video(task)
    assert caught.value.hint == "Check the gateway and the task id."


def test_task_from_id(emulator):
    task = t2v()
    fetched = nodes["GatewayTaskFromId"]().task("opencomputing", task.jobs[0].task_id, "video")[0]
    frames, *_ = await_video(fetched)
    assert frames.shape[0] == 24


def test_balance_429_is_not_retried_and_says_top_up(emulator):
    # scripted once: a retry would reach the normal route and succeed, failing this test
    emulator.fail("opencomputing", "/llmage/video", Reply(429, json={"error": "Insufficient balance"}))
    with pytest.raises(GatewayError, match="Insufficient balance") as caught:
        t2v()
    assert caught.value.hint.startswith("Top up your OpenComputing balance")
    assert len(emulator.calls("opencomputing", "/llmage/video")) == 1
    t2v()  # a refused submit is not journalled as paid: the next run submits
    assert len(emulator.calls("opencomputing", "/llmage/video")) == 2


@pytest.mark.parametrize("reply, message", [
    (Reply(401, json={"error": "Invalid API Key"}), "HTTP 401: Invalid API Key"),
    (Reply(400, json={"error": "Missing required parameter: prompt"}), "Missing required parameter"),
])
def test_documented_submit_errors(emulator, reply, message):
    emulator.fail("opencomputing", "/llmage/video", reply)
    with pytest.raises(GatewayError, match=message):
        t2v()


def test_interrupt_keeps_the_task_and_the_next_run_resumes(emulator, fake_comfy):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 1.0, 0.5
    task = t2v()
    threading.Timer(0.3, fake_comfy.interrupted.set).start()
    with pytest.raises(fake_comfy.InterruptProcessingException):
        await_video(task)
    frames, *_ = await_video(t2v())  # the same request: resumed, not submitted again
    assert frames.shape[0] == 24
    assert len(emulator.calls("opencomputing", "/llmage/video")) == 1


def test_progress_shows_elapsed_and_estimate(emulator, fake_comfy):
    nodes["GatewayAwaitVideo"]().wait(t2v(), 60, 0, 1, 1024, unique_id="v")
    texts = [t for node, t in fake_comfy.texts if node == "v"]
    assert any(t.startswith("OpenComputing Seedance 2.0 (Doubao): ") and " of ~3:00" in t
               for t in texts), texts
    assert any(t.startswith("decoding: ") for t in texts)
    assert texts[-1] == "24 frames at 24 fps"


def test_seacloud_video_model(emulator):
    task = nodes["SeaCloudSubmit"]().submit(model_id="wan26_i2v", prompt="waves", params_json="{}",
                                            seed=3, count=1, images=torch.rand(1, 64, 64, 3))[0]
    body = emulator.calls("seacloud", "/queue/wan26_i2v")[0].json
    # the field multimodal/submit's example names for wan26_i2v
    assert body["img_url"].startswith("data:image/png;base64,") and "image_url" not in body
    frames, audio, fps, *_ = await_video(task)
    assert frames.shape == (24, 96, 160, 3) and fps == 24.0


def test_resume_after_restart(emulator):
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.5, 0.5
    task_id = run_in_new_process(
        'task = nodes["OpenComputingTextToVideo"]().submit(model="Vidu q3 pro", '
        'prompt="a paper boat on a river", duration=0, resolution="default", ratio="default", '
        'size="default", negative_prompt="", off_peak=True, seed=9)[0]\n'
        'print(task.jobs[0].task_id)').strip()
    task = t2v("Vidu q3 pro", off_peak=True, seed=9)  # a new process, the same data dir
    assert task.jobs[0].task_id == task_id
    frames, *_ = await_video(task)
    assert frames.shape[0] == 24
    assert len(emulator.calls("opencomputing", "/llmage/video")) == 1
