"""Join Video Shots: real small clips written with PyAV (H.264 and MPEG-4, several sizes and frame
rates, with and without sound) joined, then the output read back: frame count, the order of
shots and frames, the sound's length and placement, copy (remux) against re-encode, and memory."""
from __future__ import annotations

import abc
import io
import json
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import NODES, PACK_NAME, ROOT, submodule

cj = submodule("nodes.clip_join")
video_join = submodule("nodes.video_join")
NODE = "Join Video Shots"

# Each shot's frames: left half its own colour, right half a grey that counts its frame index.
SHOT_COLOURS = [(220, 40, 40), (40, 200, 60), (50, 70, 230), (230, 210, 40), (200, 60, 210)]
GREY0, GREY_STEP = 20, 7
TONE = 0.25


def make_clip(path, *, shot: int, frames: int, fps=24, size=(160, 96), codec="libx264",
              audio_seconds: float | None = None, rate=44100, channels=2, crf="18") -> Path:
    """A clip whose frame i shows shot's colour and grey GREY0 + GREY_STEP * (i % 32); with
    audio_seconds, an AAC sine of that length (which may differ from the pictures')."""
    import av
    import numpy as np

    width, height = size
    path = Path(path)
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.time_base = 1 / Fraction(fps).limit_denominator(1001)
        if codec == "libx264":
            video.codec_context.options = {"preset": "veryfast", "crf": crf}
        else:
            video.codec_context.bit_rate = 2_000_000
        sound = None
        if audio_seconds is not None:
            sound = container.add_stream("aac", rate=rate,
                                         layout="stereo" if channels == 2 else "mono")
        picture = np.zeros((height, width, 3), np.uint8)
        for i in range(frames):
            picture[:, :width // 2] = SHOT_COLOURS[shot]
            picture[:, width // 2:] = GREY0 + GREY_STEP * (i % 32)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = i, video.codec_context.time_base
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            n = round(audio_seconds * rate)
            tone = (TONE * np.sin(2 * np.pi * 440 * np.arange(n) / rate)).astype(np.float32)
            samples = np.repeat(tone[None, :], channels, axis=0)
            chunk = av.AudioFrame.from_ndarray(samples, format="fltp",
                                               layout="stereo" if channels == 2 else "mono")
            chunk.sample_rate, chunk.pts = rate, 0
            container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return path


def read_frames(path):
    """[(shot, frame index, left bar mean)] of every frame, read from the middle of each half
    (letterboxed shots keep their halves there)."""
    import av
    import numpy as np

    seen = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24").astype(np.float32)
            h, w, _ = rgb.shape
            left = rgb[h // 4:3 * h // 4, int(w * 0.3):int(w * 0.45)].mean(axis=(0, 1))
            right = rgb[h // 4:3 * h // 4, int(w * 0.55):int(w * 0.7)].mean()
            shot = int(np.argmin([np.abs(left - c).sum() for c in SHOT_COLOURS]))
            assert np.abs(left - SHOT_COLOURS[shot]).max() < 12, left
            edge = rgb[:, :max(1, w // 20)].mean()
            seen.append((shot, round((right - GREY0) / GREY_STEP), edge))
    return seen


def streams(path) -> dict:
    import av

    with av.open(str(path)) as container:
        info = {"video": None, "audio": None}
        video = container.streams.video[0]
        info["video"] = (video.codec_context.width, video.codec_context.height,
                         float(video.duration * video.time_base))
        if container.streams.audio:
            audio = container.streams.audio[0]
            total, rate = 0, audio.codec_context.sample_rate
            for frame in container.decode(audio):
                total += frame.samples
            info["audio"] = (total / rate, rate, audio.codec_context.layout.nb_channels)
        return info


def audio_rms(path, start: float, end: float) -> float:
    """RMS of the first channel of the output's sound between two times (seconds)."""
    import av
    import numpy as np

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        parts = [f.to_ndarray()[0] for f in container.decode(stream)]
    samples = np.concatenate(parts)
    piece = samples[int(start * rate):int(end * rate)]
    return float(np.sqrt(np.mean(piece.astype(np.float64) ** 2)))


def join(paths, tmp_path, **options):
    clips = [cj.probe(p, i, node=NODE) for i, p in enumerate(paths, start=1)]
    return cj.join(clips, tmp_path / "out" / "film.mp4", node=NODE, **options)


def video_packets(path) -> list[bytes]:
    import av

    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(video=0) if p.size]


# --------------------------------------------------------------------------- copy (remux)

def test_matching_clips_are_copied_packet_for_packet_in_order(tmp_path):
    paths = [make_clip(tmp_path / f"s{i}.mp4", shot=i, frames=n, audio_seconds=n / 24)
             for i, n in enumerate((12, 20, 16))]
    joined = join(paths, tmp_path)
    assert joined.method == "remux"
    # no decode: the output's video packets are the inputs' bytes, in shot order
    assert video_packets(joined.path) == [p for path in paths for p in video_packets(path)]
    frames = read_frames(joined.path)
    assert [(s, i) for s, i, _ in frames] == [(s, i) for s, n in enumerate((12, 20, 16))
                                              for i in range(n)]
    assert joined.frames == 48 and joined.seconds == pytest.approx(2.0)
    info = streams(joined.path)
    assert info["video"][2] == pytest.approx(2.0)
    assert info["audio"][0] == pytest.approx(2.0, abs=0.03)     # within about one AAC frame


def test_the_same_clip_twice_is_copied(tmp_path):
    clip = make_clip(tmp_path / "s.mp4", shot=0, frames=10)
    joined = join([clip, clip], tmp_path)
    assert joined.method == "remux" and len(read_frames(joined.path)) == 20
    assert streams(joined.path)["audio"] is None        # no clip has sound: no audio track


def test_remux_mode_refuses_clips_that_differ_naming_the_shot(tmp_path):
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=6)
    b = make_clip(tmp_path / "b.mp4", shot=1, frames=6, size=(128, 96))
    with pytest.raises(ValueError) as caught:
        join([a, a, b], tmp_path, mode="remux")
    message = str(caught.value)
    assert message.startswith(f"{NODE}: mode is remux, but shot 3 cannot be copied")
    assert "128x96, not 160x96" in message and "auto or re-encode" in message


@pytest.mark.parametrize("second, why", [
    ({"size": (128, 96)}, "size"),
    ({"fps": 30}, "frame rate"),
    ({"codec": "mpeg4"}, "codec"),
    ({"crf": "30", "codec": "libx264"}, None),    # same codec and size, other encoder settings
])
def test_auto_re_encodes_clips_that_differ(tmp_path, second, why):
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=6)
    b = make_clip(tmp_path / "b.mp4", shot=1, frames=6, **second)
    first, other = (cj.probe(p, i, node=NODE) for p, i in ((a, 1), (b, 2)))
    reason = cj.mismatch(first, other, None)
    if why:
        assert why in reason
    elif not reason:
        pytest.skip("this libx264 wrote the same codec parameters for both settings")
    joined = join([a, b], tmp_path)
    assert joined.method == "re-encode"
    assert video_packets(joined.path) != video_packets(a) + video_packets(b)
    assert [s for s, _, _ in read_frames(joined.path)][:6] == [0] * 6


def test_asking_another_fps_re_encodes_matching_clips(tmp_path):
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=12)
    joined = join([a, a], tmp_path, fps=12)
    assert joined.method == "re-encode" and joined.frames == 12 and joined.fps == 12


# --------------------------------------------------------------------------- re-encode

def test_other_sizes_are_letterboxed_into_the_first_clips_size(tmp_path):
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=5, size=(160, 96))
    b = make_clip(tmp_path / "b.mp4", shot=1, frames=5, size=(320, 240))   # 4:3 into 5:3
    c = make_clip(tmp_path / "c.mp4", shot=2, frames=5, size=(80, 48), codec="mpeg4")
    joined = join([a, b, c], tmp_path)
    assert joined.method == "re-encode" and (joined.width, joined.height) == (160, 96)
    frames = read_frames(joined.path)
    assert [(s, i) for s, i, _ in frames] == [(s, i) for s in range(3) for i in range(5)]
    edges = [edge for _, _, edge in frames]
    assert max(edges[5:10]) < 24               # shot 2 has black bars at the sides
    assert min(edges[:5] + edges[10:]) > 60    # the others fill the frame (scaled, same aspect)
    assert streams(joined.path)["video"][:2] == (160, 96)


def test_frame_rates_are_resampled_to_the_output_fps(tmp_path):
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=12, fps=24)     # 0.5 s
    b = make_clip(tmp_path / "b.mp4", shot=1, frames=15, fps=30)     # 0.5 s
    c = make_clip(tmp_path / "c.mp4", shot=2, frames=6, fps=12)      # 0.5 s
    joined = join([a, b, c], tmp_path)
    assert joined.method == "re-encode" and joined.fps == 24 and joined.frames == 36
    frames = [(s, i) for s, i, _ in read_frames(joined.path)]
    # each output slot shows the source frame nearest to its time
    expected = [(0, n) for n in range(12)]
    expected += [(1, int((n + 0.5) * 30 / 24)) for n in range(12)]
    expected += [(2, int((n + 0.5) * 12 / 24)) for n in range(12)]
    assert frames == expected
    assert streams(joined.path)["video"][2] == pytest.approx(1.5)


def test_an_asked_fps_sets_the_films_rate(tmp_path):
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=24, fps=24)
    b = make_clip(tmp_path / "b.mp4", shot=1, frames=10, fps=10)
    joined = join([a, b], tmp_path, fps=30)
    assert joined.fps == 30 and joined.frames == 60
    shots = [s for s, _, _ in read_frames(joined.path)]
    assert shots == [0] * 30 + [1] * 30


# --------------------------------------------------------------------------- sound

@pytest.mark.parametrize("mode", ["auto", "re-encode"])
def test_a_shot_without_sound_gets_silence_and_the_sound_stays_in_step(tmp_path, mode):
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=24, audio_seconds=1.0)
    b = make_clip(tmp_path / "b.mp4", shot=1, frames=24)                        # no sound
    c = make_clip(tmp_path / "c.mp4", shot=2, frames=24, audio_seconds=1.0)
    joined = join([a, b, c], tmp_path, mode=mode)
    assert joined.method == ("remux" if mode == "auto" else "re-encode") and joined.audio
    video_seconds = streams(joined.path)["video"][2]
    audio_seconds = streams(joined.path)["audio"][0]
    assert video_seconds == pytest.approx(3.0)
    assert audio_seconds == pytest.approx(video_seconds, abs=0.03)
    tone = TONE / 2 ** 0.5
    assert audio_rms(joined.path, 0.1, 0.9) == pytest.approx(tone, rel=0.1)
    assert audio_rms(joined.path, 1.1, 1.9) < 0.005
    assert audio_rms(joined.path, 2.1, 2.9) == pytest.approx(tone, rel=0.1)


def test_each_shots_sound_is_cut_or_padded_to_its_pictures(tmp_path):
    long = make_clip(tmp_path / "a.mp4", shot=0, frames=24, audio_seconds=1.6)   # 0.6 s over
    silent = make_clip(tmp_path / "b.mp4", shot=1, frames=24)
    short = make_clip(tmp_path / "c.mp4", shot=2, frames=24, audio_seconds=0.5)  # 0.5 s short
    last = make_clip(tmp_path / "d.mp4", shot=3, frames=24, audio_seconds=1.0)
    joined = join([long, silent, short, last], tmp_path)
    tone = TONE / 2 ** 0.5
    assert audio_rms(joined.path, 1.1, 1.9) < 0.005      # the long sound did not run on
    assert audio_rms(joined.path, 2.1, 2.4) == pytest.approx(tone, rel=0.1)
    assert audio_rms(joined.path, 2.6, 2.9) < 0.005      # the short one was padded
    assert audio_rms(joined.path, 3.1, 3.9) == pytest.approx(tone, rel=0.1)   # not shifted
    assert streams(joined.path)["audio"][0] == pytest.approx(4.0, abs=0.03)


def test_sound_of_other_rates_and_channels_is_converted(tmp_path):
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=12, audio_seconds=0.5, rate=48000,
                  channels=1)
    b = make_clip(tmp_path / "b.mp4", shot=1, frames=12, audio_seconds=0.5, rate=22050)
    joined = join([a, b], tmp_path)
    seconds, rate, channels = streams(joined.path)["audio"]
    assert (rate, channels) == (48000, 2)           # the first clip's rate, stereo if any is
    assert seconds == pytest.approx(1.0, abs=0.03)
    assert audio_rms(joined.path, 0.6, 0.9) == pytest.approx(TONE / 2 ** 0.5, rel=0.1)


# --------------------------------------------------------------------------- errors

def test_errors_name_the_node_the_shot_and_what_to_do(tmp_path):
    good = make_clip(tmp_path / "good.mp4", shot=0, frames=4)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is no video" * 100)
    with pytest.raises(ValueError) as caught:
        cj.probe(junk, 2, node=NODE)
    assert str(caught.value).startswith(f"{NODE}: shot 2 cannot be read as a video")
    assert "re-run that shot" in str(caught.value)

    sound_only = tmp_path / "sound.m4a"
    import av
    import numpy as np
    with av.open(str(sound_only), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=44100, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 4410), np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate, frame.pts = 44100, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(ValueError) as caught:
        cj.probe(sound_only, 3, node=NODE)
    assert str(caught.value).startswith(f"{NODE}: shot 3 has no video stream (only audio")
    assert cj.probe(good, 1, node=NODE).frames == 4


class FileVideo:
    """ComfyUI's VideoFromFile as the node sees it (get_stream_source gives the path or bytes)."""

    def __init__(self, source):
        self.source = source

    def get_stream_source(self):
        if isinstance(self.source, io.BytesIO):
            self.source.seek(0)
        return self.source

    def save_to(self, path, **_):
        raise AssertionError("a file VIDEO must be read where it is")

    def get_components(self):
        raise AssertionError("a file VIDEO must not be decoded into tensors")


class VideoInput(abc.ABC):
    """ComfyUI's VideoInput: its default get_stream_source encodes into memory (save_to)."""

    @abc.abstractmethod
    def get_components(self): ...

    @abc.abstractmethod
    def save_to(self, path, **_): ...

    def get_stream_source(self):
        raise AssertionError("the join must not encode a tensor VIDEO into memory")


class TensorVideo(VideoInput):
    """VideoFromComponents: frames in memory, written by its own save_to."""

    def __init__(self, shot, frames, fps=24):
        self.shot, self.frames, self.fps = shot, frames, fps
        self.saved = []

    def get_components(self):
        raise AssertionError("not needed")

    def save_to(self, path, **_):
        self.saved.append(path)
        make_clip(path, shot=self.shot, frames=self.frames, fps=self.fps)


def run_node(videos, **widgets):
    widgets = {name: [value] for name, value in widgets.items()}
    return NODES["GatewayJoinVideos"]().join(videos=videos, **widgets)


def test_node_joins_files_bytes_and_tensor_videos_into_the_joined_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_GATEWAY_DATA_DIR", str(tmp_path / "data"))
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=8)
    b = io.BytesIO(make_clip(tmp_path / "b.mp4", shot=1, frames=8).read_bytes())
    tensor = TensorVideo(shot=2, frames=8)
    result = run_node([FileVideo(str(a)), FileVideo(b), tensor], fps=0.0, mode="auto")
    video, path = result["result"]
    assert video is None                          # no comfy_api outside ComfyUI
    path = Path(path)
    assert path.parent == tmp_path / "data" / "joined" and path.name.startswith("film_")
    assert [s for s, _, _ in read_frames(path)] == [0] * 8 + [1] * 8 + [2] * 8
    assert len(tensor.saved) == 1 and not Path(tensor.saved[0]).exists()   # temp file removed
    assert not list(path.parent.glob(".*partial*"))
    again = run_node([FileVideo(str(a)), FileVideo(b), TensorVideo(shot=2, frames=8)])
    assert again["result"][1] == str(path)        # same shots, same film name (no pile-up)


def test_node_gives_comfyuis_video_of_the_joined_file(tmp_path, monkeypatch):
    import types

    made = []
    impl = types.ModuleType("comfy_api.input_impl")
    impl.VideoFromFile = lambda p: made.append(p) or ("VideoFromFile", p)
    monkeypatch.setitem(sys.modules, "comfy_api", types.ModuleType("comfy_api"))
    monkeypatch.setitem(sys.modules, "comfy_api.input_impl", impl)
    glue = submodule("nodes.comfy")
    glue._module.cache_clear()
    try:
        a = make_clip(tmp_path / "a.mp4", shot=0, frames=4)
        video, path = run_node([FileVideo(str(a)), FileVideo(str(a))])["result"]
    finally:
        glue._module.cache_clear()
    assert video == ("VideoFromFile", path) and made == [path]


@pytest.mark.parametrize("videos, said", [
    ([], "no clips came in (the videos list is empty)"),
    ([None], "shot 1 is not a VIDEO"),
])
def test_node_refuses_an_empty_list_or_a_non_video(videos, said):
    with pytest.raises(ValueError) as caught:
        run_node(videos)
    assert str(caught.value).startswith(f"{NODE}: {said}")


def test_node_names_the_unreadable_shot(tmp_path):
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=4)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 5000)
    with pytest.raises(ValueError) as caught:
        run_node([FileVideo(str(a)), FileVideo(str(a)), FileVideo(str(junk))])
    assert str(caught.value).startswith(f"{NODE}: shot 3 cannot be read as a video")
    with pytest.raises(ValueError) as caught:
        run_node([FileVideo(str(tmp_path / "gone.mp4"))])
    assert "shot 1's file" in str(caught.value) and "does not exist" in str(caught.value)


def test_node_checks_its_widgets(tmp_path):
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=4)
    with pytest.raises(ValueError) as caught:
        run_node([FileVideo(str(a))], mode="copy")
    assert "mode" in str(caught.value) and "re-encode" in str(caught.value)
    with pytest.raises(ValueError) as caught:
        run_node([FileVideo(str(a))], fps=-1.0)
    assert "fps" in str(caught.value)


def test_cancel_stops_the_join_and_leaves_no_partial_file(tmp_path, fake_comfy, monkeypatch):
    monkeypatch.setenv("MODEL_GATEWAY_DATA_DIR", str(tmp_path / "data"))
    a = make_clip(tmp_path / "a.mp4", shot=0, frames=30)
    b = make_clip(tmp_path / "b.mp4", shot=1, frames=30, size=(128, 96))
    fake_comfy.interrupted.set()
    with pytest.raises(fake_comfy.InterruptProcessingException):
        run_node([FileVideo(str(a)), FileVideo(str(b))])
    assert not [p for p in (tmp_path / "data").rglob("*") if p.is_file()]


# --------------------------------------------------------------------------- memory

MEMORY_PROBE = textwrap.dedent("""
    import importlib, json, resource, sys
    sys.path.insert(0, {tests!r})
    import conftest
    cj = importlib.import_module({pack!r} + ".nodes.clip_join")
    from test_video_join import make_clip
    from pathlib import Path
    folder = Path({folder!r})
    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # warm up: codecs, threads and the allocator's arenas, on a small join of the same kind
    small = [make_clip(folder / f"w{{i}}.mp4", shot=i, frames=4, size=(640 - 64 * i, 360))
             for i in range(2)]
    cj.join([cj.probe(p, i + 1, node="J") for i, p in enumerate(small)], folder / "w.mp4",
            node="J")
    clips = [cj.probe(folder / f"c{{i}}.mp4", i + 1, node="J") for i in range({count})]
    before = peak()
    joined = cj.join(clips, folder / "film.mp4", node="J")
    print(json.dumps({{"growth": peak() - before, "method": joined.method,
                      "frames": joined.frames}}))
""")


def test_memory_stays_bounded_whatever_the_number_of_frames(tmp_path):
    """Re-encoding (the path that decodes) 8 clips of 60 frames at 640x360 holds a few frames at
    once: all the decoded frames would be 8*60 frames * 345 KB (yuv420p) = 166 MB; the peak
    resident memory of the joining process grows by far less than that."""
    count, frames, width, height = 8, 60, 640, 360
    for i in range(count):    # each clip a little narrower: every one is decoded and scaled
        make_clip(tmp_path / f"c{i}.mp4", shot=i % len(SHOT_COLOURS), frames=frames,
                  size=(width - 16 * i, height))
    all_frames = count * frames * width * height * 3 // 2
    code = MEMORY_PROBE.format(tests=str(ROOT / "tests"), pack=PACK_NAME, folder=str(tmp_path),
                               count=count)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=600, cwd=str(ROOT / "tests"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["method"] == "re-encode" and report["frames"] == count * frames
    assert report["growth"] < all_frames / 3, (
        f"peak memory grew by {report['growth'] / 2**20:.0f} MB joining "
        f"{all_frames / 2**20:.0f} MB of frames")
