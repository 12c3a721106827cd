"""Result downloads through real HTTP against the emulator: two downloaders of one file, one
deadline for the whole download, per-kind size caps, a damaged kept file downloaded again once,
pixel and memory budgets before decoding, and where a download may go (no private addresses
from a public gateway, the key never across a redirect)."""
from __future__ import annotations

import io
import ipaddress
import threading
import time
from pathlib import Path

import pytest
import torch
from PIL import Image, ImageFile

from conftest import KEYS, PACK, submodule, NODES

nodes = NODES
GatewayError = submodule("providers.errors").GatewayError
Reply = submodule("providers.emulator").Reply
make_png = submodule("providers.emulator.media").make_png
download = submodule("providers.download")
poller = submodule("providers.poller")
media = submodule("nodes.media")
comfy = submodule("nodes.comfy")
tasks = submodule("providers.tasks")
Access = submodule("providers.credentials").Access
GATEWAYS = submodule("providers.gateways").GATEWAYS


def seacloud_submit(**inputs):
    values = {"model_id": "nano_banana_2", "prompt": "a red kite over dunes", "params_json": "{}",
              "seed": 5, "count": 1, **inputs}
    return nodes["SeaCloudSubmit"]().submit(**values)[0]


def await_images(task, timeout=30):
    return nodes["GatewayAwaitImages"]().wait(task, timeout)["result"]


def t2v():
    return nodes["OpenComputingTextToVideo"]().submit(
        model="Seedance 2.0 (Doubao)", prompt="a paper boat", duration=0, resolution="default",
        ratio="default", size="default", negative_prompt="", off_peak=False, seed=1)[0]


def await_video(task):
    return nodes["GatewayAwaitVideo"]().wait(task, timeout=60, max_frames=0, frame_step=1,
                                             max_side=1024)["result"]


def served_job(emulator, data: bytes, ctype: str = "image/png", name: str = "t1_0.png",
               kind: str = "image"):
    """A finished job whose one result is `data` on the emulator's storage host."""
    url = emulator.origin + emulator.jobs.add_file(name, data, ctype)
    return tasks.Job("seacloud", "seacloud_queue", name.split("_")[0], "fp-" + name, "test",
                     kind, state=tasks.State.SUCCEEDED, result_urls=[url])


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.glob("*.part")] if folder.exists() else []


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# -- 1. two downloaders of one file ----------------------------------------------------------

def test_two_awaits_of_one_job_at_once_both_get_the_file(emulator):
    task = seacloud_submit()
    # Both downloads trickle (~2 s for the 194-byte PNG), so they certainly overlap.
    emulator.fault("cdn", "/cdn/", "trickle", times=2, delay=0.01)
    results, errors = [], []

    def wait():
        try:
            results.append(await_images(task)[0])
        except Exception as exc:  # reported below, with its type
            errors.append(exc)

    threads = [threading.Thread(target=wait) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [], [f"{type(e).__name__}: {e}" for e in errors]
    assert len(results) == 2, results
    assert torch.equal(results[0], results[1]), (results[0].shape, results[1].shape, float((results[0] - results[1]).abs().max()) if results[0].shape == results[1].shape else None)
    assert len(emulator.calls("cdn")) == 2, "both downloaded at once (the race was exercised)"
    assert leftovers(comfy.files_directory()) == []


def test_a_file_another_downloader_finished_is_reused(emulator, tmp_path):
    job = served_job(emulator, make_png(8, 8, (10, 20, 30)))
    store = comfy.key_store()
    first, _ = poller.fetch_files(job, "image", store, tmp_path)
    second, _ = poller.fetch_files(job, "image", store, tmp_path)
    assert first == second and len(emulator.calls("cdn")) == 1


# -- 2. one deadline for the whole download --------------------------------------------------

@pytest.mark.parametrize("kind, delay", [("trickle", 0.05), ("stall", 5.0)])
def test_deadline_bounds_a_trickling_or_silent_download(emulator, tmp_path, kind, delay):
    job = served_job(emulator, make_png(96, 54, (10, 20, 30)))  # 194 bytes: ~10 s trickled
    emulator.fault("cdn", "/cdn/", kind, delay=delay)
    started = time.monotonic()
    with pytest.raises(GatewayError, match="did not finish within the node's timeout") as caught:
        poller.fetch_files(job, "image", comfy.key_store(), tmp_path, deadline=started + 1.0)
    assert time.monotonic() - started < 2.0
    assert "task is kept" in caught.value.hint and "resumes the download" in caught.value.hint
    assert list(tmp_path.iterdir()) == [], "no partial file is left, none at the final name"
    # running again (no fault now) gets the file
    (path,), _ = poller.fetch_files(job, "image", comfy.key_store(), tmp_path)
    assert Image.open(path).size == (96, 54)


def test_a_deadline_already_passed_asks_nothing(emulator, tmp_path):
    job = served_job(emulator, make_png(8, 8, (10, 20, 30)))
    with pytest.raises(GatewayError, match="did not finish within the node's timeout"):
        poller.fetch_files(job, "image", comfy.key_store(), tmp_path,
                           deadline=time.monotonic() - 1)
    assert emulator.calls("cdn") == []


# -- 3. a size cap per kind -----------------------------------------------------------------

def test_image_and_video_caps_are_separate(emulator, tmp_path, monkeypatch):
    image = served_job(emulator, make_png(8, 8, (10, 20, 30)))
    video = served_job(emulator, b"\0" * 4096, "video/mp4", "v1_0.mp4", "video")
    store = comfy.key_store()
    monkeypatch.setenv("MODEL_GATEWAY_MAX_IMAGE_MB", "0")
    with pytest.raises(GatewayError, match="larger than the 0 MiB") as caught:
        poller.fetch_files(image, "image", store, tmp_path)
    assert "MODEL_GATEWAY_MAX_IMAGE_MB" in caught.value.hint
    poller.fetch_files(video, "video", store, tmp_path)  # the image cap is not the video's
    monkeypatch.delenv("MODEL_GATEWAY_MAX_IMAGE_MB")
    monkeypatch.setenv("MODEL_GATEWAY_MAX_VIDEO_MB", "0")
    with pytest.raises(GatewayError, match="larger than the 0 MiB") as caught:
        poller.fetch_files(video, "video", store, tmp_path, again=True)
    assert "MODEL_GATEWAY_MAX_VIDEO_MB" in caught.value.hint
    poller.fetch_files(image, "image", store, tmp_path)


def test_the_old_single_cap_applies_only_where_no_per_kind_cap_is_set(emulator, monkeypatch):
    monkeypatch.setenv("MODEL_GATEWAY_MAX_DOWNLOAD_MB", "0")
    with pytest.raises(GatewayError, match="larger than the 0 MiB") as caught:
        await_images(seacloud_submit())
    assert "MODEL_GATEWAY_MAX_IMAGE_MB" in caught.value.hint
    assert "MODEL_GATEWAY_MAX_DOWNLOAD_MB" in caught.value.hint
    monkeypatch.setenv("MODEL_GATEWAY_MAX_IMAGE_MB", "0.5")
    assert await_images(seacloud_submit())[0].shape[0] == 1
    assert poller.download_limit("image") == 1 << 19 and poller.download_limit("video") == 0


@pytest.mark.parametrize("name", ["MODEL_GATEWAY_MAX_IMAGE_MB", "MODEL_GATEWAY_MAX_DOWNLOAD_MB"])
@pytest.mark.parametrize("value", ["lots", "-1", "nan"])
def test_a_cap_that_is_not_a_number_is_an_error_naming_it(emulator, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"{name} must be a number of megabytes"):
        await_images(seacloud_submit())
    assert emulator.calls("cdn") == []


# -- 4. a damaged kept file is downloaded again, once ---------------------------------------

def test_a_kept_image_damaged_since_is_downloaded_again(emulator):
    task = seacloud_submit()
    first = await_images(task)[0]
    kept = Path(comfy.journal().get(task.jobs[0].fingerprint).files[0])
    kept.write_bytes(kept.read_bytes()[:60])  # cut short on disk
    again = await_images(task)[0]
    assert torch.equal(first, again)
    assert len(emulator.calls("cdn")) == 2


def test_an_image_damaged_on_the_gateway_is_an_error_after_one_more_download(emulator):
    task = seacloud_submit()
    job = emulator.jobs.jobs[task.jobs[0].task_id]
    truncated = make_png(96, 54, (10, 20, 30))[:120]
    job.files.append(emulator.jobs.add_file(f"{job.id}_0.png", truncated, "image/png"))
    with pytest.raises(ValueError, match="downloaded twice, damaged both times") as caught:
        await_images(task)
    assert isinstance(caught.value, media.DamagedResult)
    assert len(emulator.calls("cdn")) == 2
    kept = str(caught.value).split("It is kept at ")[1].rstrip(".")
    assert Path(kept).read_bytes() == truncated


def test_a_damaged_image_whose_link_expired_stays_where_the_error_says(emulator):
    task = seacloud_submit()
    await_images(task)
    kept = Path(comfy.journal().get(task.jobs[0].fingerprint).files[0])
    kept.write_bytes(b"not an image")
    emulator.jobs.jobs[task.jobs[0].task_id].outcome = "expired"
    with pytest.raises(GatewayError, match="downloading it again failed .*HTTP 403") as caught:
        await_images(task)
    assert str(kept) in str(caught.value)
    assert kept.read_bytes() == b"not an image", "the kept file is replaced only by a whole one"


def test_a_kept_video_damaged_since_is_downloaded_again(emulator):
    task = t2v()
    frames, *_, path, _usage, _cover = await_video(task)
    kept = Path(path)
    kept.write_bytes(kept.read_bytes()[: kept.stat().st_size // 3])
    again, *_ = await_video(task)
    assert again.shape == frames.shape
    assert len(emulator.calls("cdn", "_video.mp4")) == 2


def test_a_video_damaged_on_the_gateway_is_downloaded_once_more_then_an_error(emulator):
    emulator.jobs.next_outcomes("corrupt")
    with pytest.raises(ValueError, match="downloaded twice, damaged both times") as caught:
        await_video(t2v())
    assert len(emulator.calls("cdn", "_video.mp4")) == 2
    kept = str(caught.value).split("kept at ")[1].rstrip(".")
    assert Path(kept).is_file()


def test_refetch_replaces_the_kept_files(emulator, tmp_path):
    job = served_job(emulator, make_png(8, 8, (10, 20, 30)))
    store, journal = comfy.key_store(), comfy.journal()
    job.files, _ = poller.fetch_files(job, "image", store, tmp_path)
    Path(job.files[0]).write_bytes(b"damaged")
    poller.refetch(job, "image", store, tmp_path, journal)
    assert Image.open(job.files[0]).size == (8, 8)
    assert journal.get(job.fingerprint).files == job.files


# -- 5. pixel and memory budgets, before decoding ---------------------------------------------

@pytest.fixture
def no_large_decode(monkeypatch):
    """Fails the test if PIL decodes pixels of an image over one megapixel."""
    load = ImageFile.ImageFile.load

    def guarded(self):
        assert self.size[0] * self.size[1] <= 1_000_000, f"decoded a {self.size} image"
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", guarded)


def test_an_image_of_too_many_pixels_is_refused_before_decoding(emulator, no_large_decode):
    bomb = png_bytes(Image.new("1", (8000, 8000)))
    assert len(bomb) < 64 * 1024  # tiny on disk, 768 MB as a float32 tensor
    task = seacloud_submit()
    job = emulator.jobs.jobs[task.jobs[0].task_id]
    job.files.append(emulator.jobs.add_file(f"{job.id}_0.png", bomb, "image/png"))
    with pytest.raises(ValueError, match=r"Gateway Await Images: the result .*_0\.png is "
                                         r"8000x8000 \(64\.0 megapixels\), over the 40 "
                                         r"megapixels .*MODEL_GATEWAY_MAX_IMAGE_MEGAPIXELS"):
        await_images(task)


def test_pixel_budget_setting(tmp_path, monkeypatch):
    path = tmp_path / "a.png"
    path.write_bytes(make_png(96, 54, (10, 20, 30)))
    assert media.load_images([str(path)], node="N").shape == (1, 54, 96, 3)
    monkeypatch.setenv("MODEL_GATEWAY_MAX_IMAGE_MEGAPIXELS", "0.005")  # 5000 < 96*54
    with pytest.raises(ValueError, match="96x54 .* over the 0.005 megapixels"):
        media.load_images([str(path)], node="N")
    monkeypatch.setenv("MODEL_GATEWAY_MAX_IMAGE_MEGAPIXELS", "many")
    with pytest.raises(ValueError, match="MODEL_GATEWAY_MAX_IMAGE_MEGAPIXELS must be a number"):
        media.load_images([str(path)], node="N")


def test_a_batch_over_the_memory_budget_is_refused_before_decoding(emulator, monkeypatch,
                                                                   no_large_decode):
    # one 96x96 result is 110,592 bytes as float32 RGB; two are 221,184
    monkeypatch.setenv("MODEL_GATEWAY_MEMORY_GB", str(150_000 / (1 << 30)))
    assert await_images(seacloud_submit())[0].shape[0] == 1
    with pytest.raises(ValueError, match=r"the 2 result image\(s\) would take .* as one IMAGE "
                                         r"batch \(96x96 each, float32\), over the 146.5 KiB budget "
                                         r"\(set MODEL_GATEWAY_MEMORY_GB"):
        await_images(seacloud_submit(count=2, seed=9))


def test_the_memory_budget_is_one_setting_for_images_and_video(monkeypatch):
    assert media.memory_budget() == 4 << 30
    monkeypatch.setenv("MODEL_GATEWAY_VIDEO_MEMORY_GB", "2")  # its older name still works
    assert media.memory_budget() == 2 << 30
    monkeypatch.setenv("MODEL_GATEWAY_MEMORY_GB", "1")
    assert media.memory_budget() == 1 << 30
    monkeypatch.setenv("MODEL_GATEWAY_MEMORY_GB", "four")
    with pytest.raises(ValueError, match="MODEL_GATEWAY_MEMORY_GB must be a number"):
        media.memory_budget()


# -- 6. where a download may go, and where the key may go --------------------------------------

@pytest.fixture
def public_gateway(monkeypatch):
    """An Access to a gateway on a public-looking host (it does not resolve: it counts as
    public), and no proxy from the environment."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return Access(GATEWAYS["gptunnel"], "https://gateway.example/v1", None, "environment",
                  KEYS["gptunnel"])


def fetch(url, access, dest):
    return download.download(url, dest, access=access, max_bytes=1 << 20, accept=("image/",))


def test_a_public_gateway_cannot_send_the_pack_to_a_private_address(emulator, tmp_path,
                                                                    public_gateway):
    url = emulator.origin + emulator.jobs.add_file("p_0.png", make_png(8, 8, (1, 2, 3)),
                                                   "image/png")
    with pytest.raises(GatewayError, match=r"points to 127\.0\.0\.1 .*private or local address"):
        fetch(url, public_gateway, tmp_path / "p.png")
    assert emulator.calls("cdn") == [], "refused before any request"


def test_a_redirect_to_a_private_address_is_refused(emulator, tmp_path, public_gateway,
                                                    monkeypatch):
    real = download._addresses
    # the emulator's 127.0.0.1 plays a public storage host; "localhost" stays what it is
    monkeypatch.setattr(download, "_addresses", lambda host: (
        [ipaddress.ip_address("93.184.216.34")] if host == "127.0.0.1" else real(host)))
    emulator.jobs.add_file("r_0.png", make_png(8, 8, (1, 2, 3)), "image/png")
    local = emulator.origin.replace("127.0.0.1", "localhost")
    emulator.fail("gptunnel", "/files/a", Reply(302, headers={"Location": local + "/cdn/r_0.png"}))
    with pytest.raises(GatewayError, match="points to localhost .*private or local address"):
        fetch(emulator.base_url("gptunnel") + "/files/a", public_gateway, tmp_path / "r.png")
    assert len(emulator.calls("gptunnel", "/files/a")) == 1
    assert emulator.calls("cdn") == [], "the private hop was never asked"


def test_a_host_with_any_private_address_is_refused(emulator, tmp_path, public_gateway,
                                                    monkeypatch):
    def getaddrinfo(host, *args, **kwargs):
        if host != "mixed.example":
            raise OSError("no such host")  # the gateway's name: it counts as public
        return [(2, 1, 6, "", ("93.184.216.34", 0)), (2, 1, 6, "", ("10.0.0.7", 0))]

    monkeypatch.setattr(download.socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(GatewayError, match=r"points to mixed\.example \(10\.0\.0\.7\)"):
        fetch("https://mixed.example/x.png", public_gateway, tmp_path / "m.png")


def test_the_key_goes_only_under_the_gateways_base_url_never_across_a_redirect(emulator,
                                                                               tmp_path):
    access = comfy.key_store().access("gptunnel")
    base = emulator.base_url("gptunnel")
    foreign = base.replace("127.0.0.1", "localhost")  # another origin, same path
    png = make_png(8, 8, (1, 2, 3))
    emulator.fail("gptunnel", "/files/a", Reply(302, headers={"Location": foreign + "/files/b"}))
    emulator.fail("gptunnel", "/files/b", Reply(302, headers={"Location": base + "/files/c"}))
    emulator.fail("gptunnel", "/files/c", Reply(200, data=png, headers={"Content-Type": "image/png"}))
    fetch(base + "/files/a", access, tmp_path / "k.png")
    (first,), (second,), (third,) = (emulator.calls("gptunnel", f"/files/{x}") for x in "abc")
    assert first.headers["authorization"] == KEYS["gptunnel"]
    assert "authorization" not in second.headers, "no key to another origin"
    assert "authorization" not in third.headers, "nor where another origin sends us"
    # the same origin but outside the base URL (the emulator's storage host) gets no key
    url = emulator.origin + emulator.jobs.add_file("k_0.png", png, "image/png")
    fetch(url, access, tmp_path / "k2.png")
    assert "authorization" not in emulator.calls("cdn")[0].headers


def test_redirects_are_followed_at_most_five_times(emulator, tmp_path):
    access = comfy.key_store().access("gptunnel")
    loop = emulator.base_url("gptunnel") + "/files/loop"
    emulator.fail("gptunnel", "/files/loop", Reply(302, headers={"Location": loop}), times=10)
    with pytest.raises(GatewayError, match="redirected more than 5 times"):
        fetch(loop, access, tmp_path / "l.png")
    assert len(emulator.calls("gptunnel", "/files/loop")) == 6


# -- Seedream 4's inline (base64) results ------------------------------------------------------

def seedream4(seed=1):
    return nodes["GPTunnelSeedream4"]().generate(prompt="a fox", size="2K", aspect_ratio="16:9",
                                                 seed=seed, count=1)["result"]


def test_an_inline_result_is_saved_inside_the_results_folder_whatever_its_id(emulator):
    import base64
    png = make_png(8, 8, (1, 2, 3))
    emulator.fail("gptunnel", "/generate", Reply(json={
        "code": 0, "id": "../../../escaped", "result": base64.b64encode(png).decode()}))
    images, _ = seedream4()
    assert images.shape == (1, 8, 8, 3)
    folder = comfy.files_directory()
    (saved,) = [p for p in folder.iterdir()]
    assert saved.name == "gptunnel__________escaped_0.png" and saved.read_bytes() == png
    assert not list(folder.parent.glob("escaped*")) and not list(folder.parent.parent.glob("escaped*"))


def test_an_inline_result_is_within_the_image_cap_and_no_raw_error(emulator, monkeypatch):
    monkeypatch.setenv("MODEL_GATEWAY_MAX_IMAGE_MB", "0")
    with pytest.raises(GatewayError, match="larger than the 0 MiB") as caught:
        seedream4()
    assert "MODEL_GATEWAY_MAX_IMAGE_MB" in caught.value.hint
    monkeypatch.delenv("MODEL_GATEWAY_MAX_IMAGE_MB")
    emulator.fail("gptunnel", "/generate", Reply(json={"code": 0, "id": "x", "result": ["?"]}))
    with pytest.raises(GatewayError, match="neither a URL nor base64|returned no image"):
        seedream4(seed=2)
