"""The HTML report: its parts, that it loads nothing, and how it renders in headless Chromium."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from oracle._campaign import fuzz
from oracle._conventions import observe_conventions
from oracle._html import graph_svg, render_html
from oracle._matrix import fuzz_matrix, matrix_record
from oracle._report import campaign_record

ENGINES = ["reference", "tests.doubles:MulSwapped", "tests.doubles:TanhNotSquared"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed; install it with apt-get install -y chromium")


@pytest.fixture(scope="module")
def record():
    result = fuzz_matrix(ENGINES, ops=["add", "mul", "neg", "tanh"], max_examples=60, seed=2, max_nodes=5)
    return matrix_record(result, observe_conventions(ENGINES))


@pytest.fixture(scope="module")
def page(record):
    return render_html(record)


@pytest.fixture(scope="module")
def page_file(page, tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_html_has_every_section(page):
    for anchor in ("summary", "coverage", "conventions", "divergences", "informational"):
        assert f'id="{anchor}"' in page
    assert '<table class="summary">' in page
    assert '<table class="coverage">' in page
    assert '<table class="conventions">' in page


def test_html_one_svg_per_divergence(record, page):
    assert len(record["divergences"]) >= 2
    assert page.count("<svg ") == len(record["divergences"])


def test_html_blamed_node_highlighted(record):
    for item in record["divergences"]:
        svg = graph_svg(item)
        if item["blame"]:
            assert svg.count('class="node blamed') + svg.count('class="node output blamed') == 2  # group and box
            assert "first wrong op" in svg
        else:
            assert "blamed" not in svg


def test_html_blamed_op_matches_record(record):
    for item in record["divergences"]:
        if not item["blame"]:
            continue
        svg = graph_svg(item)
        node = int(re.search(r'<g class="node[^"]*blamed" data-node="(\d+)"', svg).group(1))
        op = item["graph"]["nodes"][node]["op"]
        assert item["blame"].startswith(f"backward rule of {op} ") or item["blame"].startswith(f"forward rule of {op} ")


def test_html_wrong_numbers_marked(record):
    broken = [item for item in record["divergences"] if item["engine"] == "tests.doubles:MulSwapped"]

    assert broken
    assert 'class="bad"' in graph_svg(broken[0])


def test_html_loads_nothing(page):
    assert "<script" not in page
    assert "<link" not in page
    assert "@import" not in page
    assert re.findall(r"url\(([^)]*)\)", page) == ["#arrow"] * page.count("url(")
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * page.count("http")


def test_html_escapes_text(record):
    item = dict(record["divergences"][0])
    item["engine"] = "<b>&engine"
    hostile = dict(record, divergences=[item])
    page = render_html(hostile)

    assert "<b>&engine" not in page
    assert "&lt;b&gt;&amp;engine" in page


def test_html_plain_campaign_record():
    result = fuzz(["tests.doubles:MulSwapped"], ops=["add", "mul"], max_examples=20, seed=1)
    page = render_html(campaign_record(result))

    assert 'id="coverage"' not in page
    assert 'id="conventions"' not in page
    assert page.count("<svg ") == len(result.defects) >= 1


def test_html_no_divergences():
    result = fuzz(["reference"], ops=["add"], max_examples=5, seed=1)
    page = render_html(campaign_record(result))

    assert "every engine agrees with the truth" in page
    assert "<svg " not in page


def test_svg_draws_crash_without_engine_numbers():
    item = {
        "graph": {"format": "gradoracle.graph/1", "inputs": ["x"], "nodes": [{"op": "log", "args": ["x"]}]},
        "inputs": {"x": {"decimal": "2.0", "hex": "0x1.0000000000000p+1"}},
        "dtype": "float64",
        "blame": None,
        "result": {"value": None, "gradient": {}, "node_values": None, "node_adjoints": None},
    }
    svg = graph_svg(item)

    assert "t0 = log(x)" in svg
    assert "0.6931471806" in svg  # the truth of log(2), to 10 digits


# --- headless Chromium ------------------------------------------------------


def run_chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
                          capture_output=True, text=True, timeout=120, check=False)


@needs_chromium
def test_chromium_dom_has_parts(page_file, record, tmp_path):
    completed = run_chromium(tmp_path / "profile", "--dump-dom", page_file.as_uri())
    dom = completed.stdout

    assert completed.returncode == 0, completed.stderr[-2000:]
    assert '<table class="summary">' in dom
    assert '<table class="conventions">' in dom
    assert dom.count("<svg ") == len(record["divergences"])
    assert 'class="node blamed"' in dom or 'class="node output blamed"' in dom


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Return width, height and the decompressed image data of a PNG file."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    position, chunks = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        if kind == b"IDAT":
            chunks.append(data[position + 8:position + 8 + length])
        position += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))


@needs_chromium
def test_chromium_screenshot_not_blank(page_file, tmp_path):
    screenshot = tmp_path / "report.png"
    completed = run_chromium(tmp_path / "profile", "--window-size=1200,1600", f"--screenshot={screenshot}",
                             page_file.as_uri())
    width, height, pixels = png_pixels(screenshot)

    assert completed.returncode == 0, completed.stderr[-2000:]
    assert (width, height) == (1200, 1600)
    assert len(set(pixels)) > 50  # text, tables and colours, not one flat colour
    assert screenshot.stat().st_size > 20_000
