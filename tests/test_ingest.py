"""``brief add`` and the formats it reads: saved web pages, PDF and DOCX join a corpus as collected."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.cli import main
from pipeline.corpus import load_corpus
from pipeline.errors import BriefError
from pipeline.ingest import add_document

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
NO_FLAGS: dict[str, str | None] = {}

ARTICLE = [
    "Kazakhstan has spent three decades balancing its two large neighbours. Russia remains its main security "
    "partner through the Collective Security Treaty Organization, while China has become its largest trading partner.",
    "Officials in Astana describe the policy as multi-vector diplomacy. They speak of partnership with both Moscow "
    "and Beijing and avoid choosing between the Eurasian Economic Union and the Belt and Road Initiative.",
    "Public opinion is more divided. Surveys show that many citizens are wary of Chinese investment, and the "
    "treatment of ethnic Kazakhs in Xinjiang remains a sensitive issue for the government in Astana.",
]
PDF_TEXT = [
    "Russian television still reaches most households in northern Kazakhstan, and the Russian language remains "
    "the language of business in Almaty. Moscow presents this as a shared cultural space that needs no defence.",
    "Chinese scholarships and Confucius Institutes are a smaller but growing presence. Students who return from "
    "Chinese universities find work in joint ventures along the Khorgos corridor and in the oil sector.",
]
DOCX_TEXT = [
    "The Collective Security Treaty Organization sent troops to Kazakhstan in January 2022 for the first time in "
    "its history. Many Kazakhstanis saw the mission as proof that Russia would guarantee the regime in a crisis.",
    "Others read it as a debt that Moscow would one day call in. China said little in public, but Beijing offered "
    "help with security cooperation soon after the unrest in Almaty had ended.",
]


def saved_page(title: str = "Astana between Moscow and Beijing", paragraphs: list[str] = ARTICLE) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{title} | Example Review</title>
<meta property="og:title" content="{title}"><meta property="og:site_name" content="Example Review">
<meta name="author" content="Aigerim Example"><meta property="article:published_time" content="2024-06-12T08:30:00+05:00">
<script>alert('head script')</script></head><body>
<header><div class="logo">Example Review</div><nav><ul><li><a href="/">Home</a></li>
<li><a href="/politics">Politics</a></li><li><a href="/subscribe">Subscribe now</a></li></ul></nav></header>
<!-- tracking comment: not article text -->
<main><article><h1>{title}</h1>{body}<p>Trade figures are published monthly.<img src="x" onerror="alert(1)"></p></article>
<section id="comments" class="comments"><h3>Comments</h3><div class="comment"><p>Great article, I agree with
every word the author wrote here!!!</p></div><div class="comment"><p>Buy cheap watches at example.com now.</p></div></section>
</main><footer><p>Copyright 2024 Example Review. All rights reserved.</p><p>Privacy policy, cookie settings</p></footer>
<script>document.write('<p>injected by script</p>')</script></body></html>"""


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A saved web page, a PDF (WeasyPrint) and a DOCX (python-docx), each with its own title and author."""
    import docx
    import weasyprint

    root = tmp_path_factory.mktemp("collected")
    (root / "Astana between Moscow and Beijing.html").write_text(saved_page(), encoding="utf-8")
    weasyprint.HTML(string="<html><head><title>Soft power in the steppe</title><meta name=author content='Dana Example'>"
                           "</head><body><h1>Soft power in the steppe</h1>" + "".join(f"<p>{p}</p>" for p in PDF_TEXT)
                           + "</body></html>").write_pdf(root / "soft-power.pdf")
    document = docx.Document()
    document.core_properties.title = "After January 2022"
    document.core_properties.author = "Erlan Example"
    document.add_heading("After January 2022", level=1)
    for p in DOCX_TEXT:
        document.add_paragraph(p)
    document.save(root / "csto.docx")
    return {"html": root / "Astana between Moscow and Beijing.html", "pdf": root / "soft-power.pdf", "docx": root / "csto.docx"}


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A one-document corpus, with a comment in its metadata file."""
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "base.txt").write_text("Almaty hosted a regional water conference this spring. Delegates from five countries "
                                   "discussed the shrinking Aral Sea and irrigation along the Syr Darya river.\n", encoding="utf-8")
    (root / "metadata.yaml").write_text("# the test corpus\ndocuments:\n  - file: base.txt\n    title: Water talks\n", encoding="utf-8")
    return root


def body(corpus_dir: Path, doc_id: str) -> list[str]:
    return [p.text for p in load_corpus(corpus_dir).document(doc_id).paragraphs if p.kind == "body"]


# --- each format --------------------------------------------------------------------------------

def test_saved_web_page_gives_the_article_without_page_furniture(files, corpus):
    added = add_document(files["html"], corpus, NO_FLAGS)
    text = " ".join(body(corpus, Path(added.name).stem))
    assert added.name == "Astana_between_Moscow_and_Beijing.html"
    assert all(p in text for p in ARTICLE)
    for furniture in ("Subscribe now", "tracking comment", "Great article", "cheap watches", "All rights reserved", "Privacy"):
        assert furniture not in text


def test_hostile_markup_in_a_web_page_never_reaches_the_text(files, corpus):
    add_document(files["html"], corpus, NO_FLAGS)
    text = " ".join(p.text for p in load_corpus(corpus).paragraphs())
    for markup in ("<", "alert", "onerror", "injected by script"):
        assert markup not in text


def test_pdf_text_layer_is_read_in_whole_paragraphs(files, corpus):
    add_document(files["pdf"], corpus, NO_FLAGS)
    assert body(corpus, "soft-power") == PDF_TEXT


def test_docx_paragraphs_are_read_in_order(files, corpus):
    add_document(files["docx"], corpus, NO_FLAGS)
    assert body(corpus, "csto") == DOCX_TEXT


@pytest.mark.parametrize("kind", ["html", "pdf", "docx"])
def test_the_original_file_is_copied_byte_for_byte(files, corpus, kind):
    added = add_document(files[kind], corpus, NO_FLAGS)
    assert (corpus / added.name).read_bytes() == files[kind].read_bytes()


# --- metadata -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, expected", [
    ("html", {"title": "Astana between Moscow and Beijing", "author": "Aigerim Example", "publisher": "Example Review",
              "date": "2024-06-12", "language": "en"}),
    ("pdf", {"title": "Soft power in the steppe", "author": "Dana Example"}),
    ("docx", {"title": "After January 2022", "author": "Erlan Example"}),
])
def test_metadata_is_prefilled_from_the_file(files, corpus, kind, expected):
    added = add_document(files[kind], corpus, NO_FLAGS)
    meta = load_corpus(corpus).document(Path(added.name).stem).meta
    assert {key: str(getattr(meta, key)) for key in expected} == expected
    assert set(expected) <= set(added.prefilled)


def test_flags_override_what_the_file_says_and_empty_clears_it(files, corpus):
    add_document(files["html"], corpus, {"title": "Edited title", "date": "2024-07", "publisher": "", "kind": "news analysis"})
    meta = load_corpus(corpus).document("Astana_between_Moscow_and_Beijing").meta
    assert (meta.title, str(meta.date), meta.publisher, meta.kind, meta.author) == (
        "Edited title", "2024-07", None, "news analysis", "Aigerim Example")


def test_a_file_without_a_title_needs_the_title_flag(tmp_path, corpus):
    source = tmp_path / "notes.txt"
    source.write_text("\n".join(ARTICLE), encoding="utf-8")
    with pytest.raises(BriefError, match="--title"):
        add_document(source, corpus, NO_FLAGS)
    add_document(source, corpus, {"title": "Field notes"})
    assert load_corpus(corpus).document("notes").meta.title == "Field notes"


def test_metadata_comments_are_kept_and_the_seed_corpus_still_loads(files, tmp_path):
    seeds = shutil.copytree(SEEDS, tmp_path / "seeds")
    before = (seeds / "metadata.yaml").read_text(encoding="utf-8")
    for kind in ("html", "pdf", "docx"):
        add_document(files[kind], seeds, NO_FLAGS)
    after = (seeds / "metadata.yaml").read_text(encoding="utf-8")
    assert after.startswith(before) and "# added by 'brief add'" in after
    assert len(load_corpus(seeds).documents) == 8


def test_a_refused_add_changes_nothing(files, corpus):
    before = (corpus / "metadata.yaml").read_bytes()
    with pytest.raises(BriefError, match="--date"):
        add_document(files["html"], corpus, {"date": "2024-13"})
    assert (corpus / "metadata.yaml").read_bytes() == before
    assert sorted(p.name for p in corpus.iterdir()) == ["base.txt", "metadata.yaml"]


# --- duplicates and names -----------------------------------------------------------------------

def test_the_same_file_twice_is_refused_naming_the_existing_one(files, corpus):
    add_document(files["pdf"], corpus, NO_FLAGS)
    with pytest.raises(BriefError, match="already has this file, as soft-power.pdf"):
        add_document(files["pdf"], corpus, NO_FLAGS, name="again.pdf")


def test_the_same_text_in_another_format_is_refused_naming_the_existing_file(files, corpus, tmp_path):
    add_document(files["docx"], corpus, NO_FLAGS)
    copy = tmp_path / "csto-copy.txt"
    copy.write_text("\n".join(DOCX_TEXT), encoding="utf-8")
    with pytest.raises(BriefError, match="same text as csto.docx"):
        add_document(copy, corpus, {"title": "A copy"})


def test_a_near_duplicate_is_added_with_a_warning(files, corpus, tmp_path):
    add_document(files["html"], corpus, NO_FLAGS)
    other = tmp_path / "mirror.html"
    other.write_text(saved_page("Mirrored", ARTICLE + ["A closing paragraph that only the mirror site carries, about "
                                                       "something else entirely: the weather in Astana this week."]))
    added = add_document(other, corpus, NO_FLAGS)
    (warning,) = added.warnings
    assert "near-duplicate of Astana_between_Moscow_and_Beijing.html" in str(warning)
    assert (corpus / "mirror.html").is_file()


def test_an_existing_name_is_never_overwritten(files, corpus, tmp_path):
    other = tmp_path / "base.txt"
    other.write_text("\n".join(ARTICLE), encoding="utf-8")
    original = (corpus / "base.txt").read_bytes()
    with pytest.raises(BriefError, match="never overwritten: pass --name NEWNAME"):
        add_document(other, corpus, {"title": "Other"})
    assert (corpus / "base.txt").read_bytes() == original
    assert add_document(other, corpus, {"title": "Other"}, name="base-2").name == "base-2.txt"


def test_a_document_id_taken_by_another_format_is_refused(files, corpus, tmp_path):
    other = tmp_path / "base.html"
    other.write_text(saved_page(), encoding="utf-8")
    with pytest.raises(BriefError, match="base.txt already exists"):
        add_document(other, corpus, NO_FLAGS)


def test_an_unsupported_format_is_refused_listing_the_supported_ones(tmp_path, corpus):
    source = tmp_path / "brief.rtf"
    source.write_text("{\\rtf1 Kazakhstan}")
    with pytest.raises(BriefError, match=r"'\.rtf' is not a format .*supported: \.txt, \.md, \.html, \.htm, \.pdf, \.docx"):
        add_document(source, corpus, NO_FLAGS)


# --- loading and quoting ------------------------------------------------------------------------

def test_a_corpus_of_web_page_pdf_and_docx_loads(files, tmp_path):
    root = tmp_path / "mixed"
    root.mkdir()
    for kind in ("html", "pdf", "docx"):
        shutil.copy(files[kind], root / f"{kind}.{kind}")
    (root / "metadata.yaml").write_text("documents:\n" + "".join(
        f"  - file: {kind}.{kind}\n    title: {title}\n" for kind, title in
        (("html", "Astana between Moscow and Beijing"), ("pdf", "Soft power in the steppe"), ("docx", "After January 2022"))))
    corpus = load_corpus(root)
    texts = {d.id: [p.text for p in d.paragraphs if p.kind == "body"] for d in corpus.documents}
    assert texts == {"html": ARTICLE + ["Trade figures are published monthly."], "pdf": PDF_TEXT, "docx": DOCX_TEXT}
    assert corpus.document("pdf").encoding == "PDF text layer" and not corpus.warnings


def test_quotes_from_an_extracted_document_are_checked_against_its_text(files, corpus):
    import nbformat

    from pipeline.assemble import _html_cell, verify_quotes

    add_document(files["pdf"], corpus, NO_FLAGS)
    para = load_corpus(corpus).document("soft-power").paragraphs[-1]
    quote = f'<blockquote data-pid="{para.id}" class="evidence"><p>{para.text[:90]}</p></blockquote>'
    assert verify_quotes(nbformat.v4.new_notebook(cells=[_html_cell(quote, [])]), load_corpus(corpus)) == 1


def test_a_plain_text_corpus_does_not_import_the_format_libraries():
    code = ("import sys; from pipeline.corpus import load_corpus; load_corpus(sys.argv[1]); "
            "print(sorted(m for m in ('trafilatura', 'pypdf', 'docx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(SEEDS)], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- the command --------------------------------------------------------------------------------

def test_cli_add_reports_the_new_document_and_exits_zero(files, corpus, capsys):
    assert main(["add", str(files["docx"]), "--corpus", str(corpus), "--kind", "analysis"]) == 0
    out = capsys.readouterr().out
    assert "added" in out and "csto.docx" in out and "title: After January 2022" in out
    entry = yaml.safe_load((corpus / "metadata.yaml").read_text())["documents"][-1]
    assert entry["kind"] == "analysis" and entry["file"] == "csto.docx"


def test_cli_refusal_is_one_line_naming_the_file_and_exits_one(files, corpus, capsys):
    main(["add", str(files["pdf"]), "--corpus", str(corpus)])
    capsys.readouterr()
    assert main(["add", str(files["pdf"]), "--corpus", str(corpus)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("brief: error: ") and "soft-power.pdf" in err


def test_the_first_add_to_a_new_directory_starts_its_metadata_file(files, tmp_path):
    add_document(files["docx"], tmp_path, NO_FLAGS)
    assert [d.meta.file for d in load_corpus(tmp_path).documents] == ["csto.docx"]
