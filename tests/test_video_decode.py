"""decode_video: real (small) H.264 files from the emulator's make_mp4, decoded into one tensor."""
from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap

import pytest

from conftest import PACK_NAME, ROOT, submodule

vd = submodule("nodes.video_decode")
media = submodule("providers.emulator.media")

W, H, SECONDS, FPS, RATE = 160, 96, 2, 24, 44100
N = SECONDS * FPS
FRAME_BYTES = W * H * 3 * 4
BUDGET = 1 << 30
TOLERANCE = 8 / 255        # H.264 at crf 20 keeps the mean colour within ~3 levels


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    with_audio = media.make_mp4(folder / "with_audio.mp4", width=W, height=H, seconds=SECONDS,
                                fps=FPS, audio=True, sample_rate=RATE)
    silent = media.make_mp4(folder / "silent.mp4", width=W, height=H, seconds=SECONDS, fps=FPS,
                            audio=False)
    return {"audio": with_audio, "silent": silent, "folder": folder}


def decode(path, **options):
    options.setdefault("memory_budget_bytes", BUDGET)
    return vd.decode_video(path, **options)


def means(frames):
    return frames.mean(dim=(1, 2))                          # [N, 3], 0..1


def assert_frames_are(frames, indices):
    import torch

    expected = torch.tensor([media.frame_color(i) for i in indices], dtype=torch.float32) / 255
    assert frames.shape[0] == len(indices)
    error = (means(frames) - expected).abs().max().item()
    assert error < TOLERANCE, f"mean colours off by {error * 255:.1f} levels"


# --------------------------------------------------------------------------- the plain decode

def test_full_decode_shape_fps_and_order(videos):
    import torch

    result = decode(videos["audio"])
    assert result.frames.shape == (N, H, W, 3)
    assert result.frames.dtype == torch.float32 and result.frames.is_contiguous()
    assert 0.0 <= result.frames.min().item() and result.frames.max().item() <= 1.0
    assert result.fps == pytest.approx(FPS)
    assert result.frame_count_source == N
    assert result.duration == pytest.approx(SECONDS)
    assert result.warning == ""
    assert_frames_are(result.frames, range(N))


def test_audio_track_is_decoded_to_the_video_length(videos):
    import torch

    audio = decode(videos["audio"]).audio
    waveform = audio["waveform"]
    assert audio["sample_rate"] == RATE
    assert waveform.dtype == torch.float32 and waveform.shape == (1, 2, SECONDS * RATE)
    rms = waveform[..., RATE // 2:RATE].pow(2).mean().sqrt().item()   # a sine of 0.25 peak
    assert rms == pytest.approx(media.TONE_AMPLITUDE / 2 ** 0.5, rel=0.1)


def test_no_audio_track_gives_silent_mono_of_the_video_length(videos):
    audio = decode(videos["silent"]).audio
    assert audio["sample_rate"] == 44100
    assert audio["waveform"].shape == (1, 1, SECONDS * 44100)
    assert not audio["waveform"].any()


# --------------------------------------------------------------------------- options

def test_max_frames_caps_frames_and_trims_audio(videos):
    result = decode(videos["audio"], max_frames=10)
    assert_frames_are(result.frames, range(10))
    assert result.fps == pytest.approx(FPS)
    assert result.frame_count_source == N
    assert result.duration == pytest.approx(10 / FPS)
    assert result.audio["waveform"].shape == (1, 2, round(10 / FPS * RATE))


def test_frame_step_keeps_every_kth_frame(videos):
    result = decode(videos["audio"], frame_step=4)
    assert_frames_are(result.frames, range(0, N, 4))
    assert result.fps == pytest.approx(FPS / 4)
    assert result.audio["waveform"].shape[-1] == round(12 * 4 / FPS * RATE)


def test_frame_step_not_dividing_the_count_and_max_frames(videos):
    result = decode(videos["silent"], frame_step=5)            # 0, 5, ..., 45
    assert_frames_are(result.frames, range(0, N, 5))
    result = decode(videos["silent"], frame_step=3, max_frames=7)
    assert_frames_are(result.frames, range(0, 21, 3))
    assert result.fps == pytest.approx(8.0)
    assert result.audio["waveform"].shape[-1] == round(7 * 3 / FPS * 44100)


def test_max_side_resizes_with_aspect_and_even_dimensions(videos):
    result = decode(videos["silent"], max_side=100, max_frames=6)
    assert result.frames.shape == (6, 60, 100, 3)
    assert_frames_are(result.frames, range(6))
    odd = decode(videos["silent"], max_side=75, max_frames=2).frames
    assert odd.shape[1:] == (44, 74, 3)                        # even, longer side <= 75
    assert decode(videos["silent"], max_side=4096, max_frames=1).frames.shape == (1, H, W, 3)


@pytest.mark.parametrize("size, max_side, expected", [
    ((1920, 1080), 960, (960, 540)),
    ((1080, 1920), 960, (540, 960)),                           # portrait
    ((1920, 1080), 0, (1920, 1080)),
    ((1280, 720), 1280, (1280, 720)),                          # fits already: untouched
    ((1000, 3), 99, (98, 2)),                                  # never below 2
    ((641, 481), 321, (320, 240)),
])
def test_output_size(size, max_side, expected):
    assert vd.output_size(*size, max_side) == expected


def test_container_without_frame_count_is_counted(videos):
    """Matroska has no per-stream frame count: the packets are counted before allocating."""
    import av

    mkv = videos["folder"] / "remuxed.mkv"
    with av.open(str(videos["audio"])) as source, av.open(str(mkv), "w") as target:
        streams = {s.index: target.add_stream_from_template(s) for s in source.streams}
        for packet in source.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                target.mux(packet)
    with av.open(str(mkv)) as probe:
        assert probe.streams.video[0].frames == 0
    result = decode(mkv, frame_step=2)
    assert result.frame_count_source == N
    assert_frames_are(result.frames, range(0, N, 2))
    assert result.audio["waveform"].shape == (1, 2, SECONDS * RATE)


@pytest.mark.parametrize("announced", [40, 60])
def test_container_announcing_a_wrong_count(videos, monkeypatch, announced):
    """Under-announced: the tensor is not grown, the surplus is dropped; over-announced: the
    frames decoded are a narrow() view. Either way the warning says so."""
    probe = vd._probe

    def wrong_count(*args):
        source = probe(*args)
        source.frames = announced
        return source

    monkeypatch.setattr(vd, "_probe", wrong_count)
    result = decode(videos["silent"])
    assert_frames_are(result.frames, range(min(announced, N)))
    assert result.frames.untyped_storage().nbytes() == announced * FRAME_BYTES
    assert ("more frames" if announced < N else "truncated") in result.warning


def test_progress_is_reported_and_can_interrupt(videos):
    calls = []
    decode(videos["silent"], max_frames=5, progress=lambda kept, total: calls.append((kept, total)))
    assert calls == [(i, 5) for i in range(1, 6)]

    class Interrupted(Exception):
        pass

    def interrupt(kept, total):
        if kept == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        decode(videos["silent"], progress=interrupt)


# --------------------------------------------------------------------------- errors

def test_memory_budget_is_checked_before_decoding(videos):
    needed = N * FRAME_BYTES
    assert decode(videos["silent"], memory_budget_bytes=needed).frames.shape[0] == N
    with pytest.raises(ValueError) as caught:
        decode(videos["silent"], memory_budget_bytes=needed - 1, node="My Video Node")
    message = str(caught.value)
    assert message.startswith("My Video Node: the decoded video would take 8.4 MiB "
                              f"({N} frames of {W}x{H}), over the ")
    for option in ("max_frames", "frame_step", "max_side"):
        assert option in message
    assert "max_frames 47 → " in message and "frame_step 2 → " in message


def test_budget_message_suggests_a_max_side_that_fits(videos):
    with pytest.raises(ValueError, match=r"max_side 128 → 5\.\d MiB"):
        decode(videos["silent"], memory_budget_bytes=6 << 20)


@pytest.mark.parametrize("options, field", [({"frame_step": 0}, "frame_step"),
                                            ({"max_frames": -1}, "max_frames"),
                                            ({"max_side": 1}, "max_side"),
                                            ({"memory_budget_bytes": 0}, "memory_budget_bytes")])
def test_bad_options_name_the_field(videos, options, field):
    with pytest.raises(ValueError, match=f"Gateway Await Video: {field}"):
        decode(videos["silent"], **options)


def test_random_bytes_are_a_clear_error_naming_the_path(tmp_path):
    path = tmp_path / "not_a_video.mp4"
    path.write_bytes(random.Random(0).randbytes(50_000))      # seeded: no flaky probe luck
    with pytest.raises(ValueError) as caught:
        decode(path)
    assert str(caught.value).startswith("Gateway Await Video: ")
    assert f"the file is kept at {path}" in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        decode(tmp_path / "gone.mp4")


def test_truncated_file_returns_the_frames_it_has_as_a_view(videos, tmp_path):
    data = videos["audio"].read_bytes()
    path = tmp_path / "truncated.mp4"
    path.write_bytes(data[:len(data) // 2])
    result = decode(path)
    kept = result.frames.shape[0]
    assert 0 < kept < N
    assert_frames_are(result.frames, range(kept))
    # narrow() of the planned allocation, not a copy: the storage still has room for N frames
    assert result.frames.untyped_storage().nbytes() == N * FRAME_BYTES
    assert "truncated" in result.warning and str(path) in result.warning
    assert result.duration == pytest.approx(kept / FPS)
    assert result.audio["waveform"].shape == (1, 2, round(kept / FPS * RATE))


def test_file_cut_before_any_frame_is_an_error(videos, tmp_path):
    data = videos["audio"].read_bytes()
    for size in (len(data) // 50, 600):                 # frames gone / header gone
        path = tmp_path / f"cut_{size}.mp4"
        path.write_bytes(data[:size])
        with pytest.raises(ValueError, match=f"the file is kept at {path}"):
            decode(path)


# --------------------------------------------------------------------------- helpers, imports

def test_make_png():
    import io

    from PIL import Image

    data = media.make_png(8, 6, (10, 20, 30))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    assert image.size == (8, 6) and image.getpixel((3, 3)) == (10, 20, 30)


def test_modules_import_without_av_torch_numpy_or_pillow():
    probe = textwrap.dedent(f"""
        import importlib, importlib.util, json, sys
        spec = importlib.util.spec_from_file_location(
            {PACK_NAME!r}, {str(ROOT / "__init__.py")!r},
            submodule_search_locations=[{str(ROOT)!r}])
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        importlib.import_module({PACK_NAME!r} + ".nodes.video_decode")
        importlib.import_module({PACK_NAME!r} + ".providers.emulator.media")
        print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}}
                                & {{"av", "torch", "numpy", "PIL"}})))
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd="/", timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
