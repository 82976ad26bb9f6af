"""Hostile corpus text: markup, links, template syntax and a huge token in a document's text and metadata.

The brief must show all of it as text: no script, no event handler, no javascript: link, no resource
outside the page; a browser that opens it and the PDF engine that prints it make no request.
A local HTTP server stands in for "the network": its URL is in every payload and it counts requests.
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from pipeline.build import build
from pipeline.config import BRIEF_TITLE, DEFAULT_CODEBOOK, DEFAULT_CORPUS, PROJECT_ROOT, Settings

CHROMIUM = "/usr/bin/chromium"  # the Makefile's test target installs it (Debian package chromium)
LONG_TOKEN = "Q" * 5000
# EAEU versus BRI is the theme with the most passages in the seeds: its hostile paragraphs need the top scores.
EAEU_DENSE = ("The Customs Union, the Single Economic Space and the EAEU face the Belt and Road, Nurly Zhol and Chinese loans. "
              "Eurasian economic integration, the Silk Road Economic Belt and the Customs Union draw Chinese investment.")


class Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    Recorder.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", Recorder.requests
    httpd.shutdown()
    httpd.server_close()


def payloads(url: str) -> dict[str, str]:
    return {
        "script": "<script>document.title='pwned'</script>",
        "img": "<img src=x onerror=\"document.title='pwned'\">",
        "iframe": f'<iframe src="{url}/frame">',
        "js": '<a href="javascript:alert(1)">x</a>',
        "entity": "&lt;b&gt;",
        "md_link": f"[link]({url}/x)",
        "md_img": f"![img]({url}/y.png)",
        "jinja": "{{ 7*7 }}",
        "raw": "{% raw %}",
    }


def hostile_paragraphs(p: dict[str, str]) -> list[str]:
    """One paragraph per theme, each dense with its cues so that it is coded, quoted and cited."""
    return [
        f"The Eurasian Economic Union and the Belt and Road {p['script']} {p['iframe']} remain the two integration "
        "projects; the BRI brings Chinese investment. " + EAEU_DENSE,
        f"The CSTO and collective security guarantees {p['js']} {p['img']} were debated in Astana; the Collective "
        "Security Treaty Organization deployed troops.",
        f"Xinjiang re-education camps {p['entity']} {p['jinja']} {p['raw']} and the persecution of Uighurs in Xinjiang "
        "worry Kazakhs in China and their kin.",
        f"Russian soft power and the Russian language {p['md_link']} {p['md_img']} dominate media; Russian-speaking "
        "compatriots follow the Russian world idea.",
        f"The EAEU and the Belt and Road were compared {LONG_TOKEN} by experts; Chinese investment and Eurasian "
        "economic integration grow. " + EAEU_DENSE,
    ]


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self.text: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_title:
            self.title += data


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


UNDATED_TEXT = ("Last year the CSTO deployed troops to Almaty at Tokayev's request, and Kazakhstan's officials later said "
                "the mission had lasted two weeks. Next month Astana hosts the Eurasian Economic Union summit.")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, server):
    url, requests = server
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    p = payloads(url)
    (corpus / "005_hostile.txt").write_text("Hostile document\n\n" + "\n\n".join(hostile_paragraphs(p)) + "\n", encoding="utf-8")
    meta = yaml.safe_load((corpus / "metadata.yaml").read_text(encoding="utf-8"))
    meta["documents"].append({
        "file": "005_hostile.txt",
        "title": f"Hostile {p['script']} {p['img']} {p['jinja']} {p['raw']} {p['md_link']}",
        "publisher": f"Pub {p['iframe']} {p['js']} {p['entity']} {p['md_img']}",
        "date": "2024-01", "url": None, "language": "en", "kind": "test", "notes": "hostile payloads",
    })
    # Not hostile, but awkward: no date at all, and a year alone, with dates relative to an unknown publication day.
    for name, date in (("006_undated.txt", None), ("007_year_only.txt", 2021)):
        (corpus / name).write_text(f"{name}\n\n{UNDATED_TEXT}\n", encoding="utf-8")
        meta["documents"].append({"file": name, "title": f"Awkward dates {name}", "publisher": f"Desk {name[:3]}", "date": date})
    (corpus / "metadata.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    settings = Settings(corpus=corpus, out=root / "reports", codebook=DEFAULT_CODEBOOK, cache=root / "cache", jobs=2)
    result = build(settings, log=lambda line: None)
    requests_during_build = list(requests)
    html = (settings.out / "brief.html").read_text(encoding="utf-8")
    return settings, result, html, p, requests_during_build


def chromium_dump(html_file: Path, tmp: Path) -> str:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} missing: `make test` installs it (apt-get install chromium)"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp / 'chromium-profile'}", "--dump-dom", html_file.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_payload_paragraphs_are_cited_in_the_brief_as_text(hostile):
    _, _, html, _, _ = hostile
    page = parse(html)
    text = "".join(page.text)
    for paragraph in hostile_paragraphs(hostile[3]):
        assert paragraph in text, paragraph[:80]  # each one quoted or listed among the source passages, verbatim
    assert LONG_TOKEN in text


def test_html_has_no_script_frame_handler_or_foreign_resource(hostile):
    _, _, html, _, _ = hostile
    page = parse(html)
    tags = [tag for tag, _ in page.tags]
    assert "script" not in tags and "iframe" not in tags and "object" not in tags and "embed" not in tags
    handlers = [(tag, name) for tag, attrs in page.tags for name in attrs if name.lower().startswith("on")]
    assert handlers == []
    hrefs = [attrs["href"] or "" for _, attrs in page.tags if "href" in attrs]
    assert hrefs and not [h for h in hrefs if h.strip().lower().startswith("javascript:")]
    assert [h for h in hrefs if not h.startswith("#")] == []
    srcs = [attrs["src"] or "" for _, attrs in page.tags if "src" in attrs]
    assert srcs and [s for s in srcs if not s.startswith("data:")] == []


def test_payloads_appear_escaped_and_template_syntax_literally(hostile):
    _, _, html, p, _ = hostile
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=" in html and "&lt;iframe src=" in html
    assert "&amp;lt;b&amp;gt;" in html  # the entity text is shown as written, not decoded into a tag
    assert p["md_link"] in html and p["md_img"] in html  # Markdown is not rendered into a link or image
    assert "{{ 7*7 }}" in html and "{% raw %}" in html
    text = "".join(parse(html).text)
    for name in ("script", "img", "iframe", "js", "entity"):  # each shown as the text it is
        assert p[name] in text, name
    assert "{{ 7*7 }}" in text
    # where the template expression stood, nothing evaluated it (the seeds have their own 49s elsewhere)
    assert f"{p['entity']} 49 " not in text and f"{p['img']} 49 " not in text and "{{ 7*7 }} {% raw %}" in text


def test_build_and_pdf_child_made_no_request(hostile):
    settings, result, _, _, requests_during_build = hostile
    assert result.pdf and (settings.out / "brief.pdf").read_bytes().startswith(b"%PDF")
    assert requests_during_build == []


def test_pdf_child_refuses_every_url_but_data(hostile, server, tmp_path):
    """Fed the raw payloads (not escaped), the WeasyPrint child still fetches nothing and says what it refused."""
    url, requests = server
    before = len(requests)
    page = tmp_path / "raw.html"
    page.write_text(f'<html><body><p>x</p><img src="{url}/pdf-img.png"><link rel="stylesheet" href="{url}/pdf.css">'
                    f'<div style="background: url({url}/pdf-bg.png)">y</div><img src="file:///etc/hostname"></body></html>',
                    encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pipeline.pdf", str(page), str(tmp_path / "raw.pdf")],
                          capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "raw.pdf").read_bytes().startswith(b"%PDF")
    assert requests[before:] == []
    refused = re.findall(r"refused to fetch (\S+)", done.stderr)
    assert refused and all(not u.startswith("data:") for u in refused)
    assert any(u.startswith(url) for u in refused) and any(u.startswith("file:") for u in refused)


def test_chromium_runs_no_payload_and_makes_no_request(hostile, server, tmp_path):
    settings, _, _, _, _ = hostile
    url, requests = server
    before = len(requests)
    dom = chromium_dump(settings.out / "brief.html", tmp_path)
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title and title.group(1).strip() == BRIEF_TITLE
    assert "pwned" not in title.group(1)
    assert requests[before:] == []


def test_chromium_harness_detects_script_and_requests(server, tmp_path):
    """Control: the same Chromium set-up does run script and does reach the server, so the checks above can fail."""
    url, requests = server
    before = len(requests)
    page = tmp_path / "control.html"
    page.write_text(f"<html><head><title>orig</title></head><body><img src=\"{url}/control.png\">"
                    "<script>document.title='pwned'</script></body></html>", encoding="utf-8")
    dom = chromium_dump(page, tmp_path)
    assert "<title>pwned</title>" in dom
    assert "/control.png" in requests[before:]


def test_undated_and_year_only_documents_are_built_and_labelled(hostile):
    settings, result, html, _, _ = hostile
    corpus_table = html[html.index('id="The-corpus"'):]
    assert "Awkward dates 006_undated.txt" in corpus_table and "Awkward dates 007_year_only.txt" in corpus_table
    assert "undated" in corpus_table
    # "Last year" cannot be placed without a publication date; against a year alone it is the year before, flagged.
    with open(settings.out / "data" / "events.csv", encoding="utf-8-sig", newline="") as fh:
        last_year = [r for r in csv.DictReader(fh) if r["as_written"] == "Last year"]
    assert [(r["doc_id"], r["start"], r["relative_to_publication"]) for r in last_year] == [("007_year_only", "2020", "True")]
