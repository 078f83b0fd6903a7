"""The rendered HTML is tied to `htmlcache.HTML_VERSION` by a recorded fixture.

The store caches each side's HTML under a key made of its text and HTML_VERSION
(docs/anki.md, "The HTML cache"), so HTML rendered by an older version is served
again until the version changes. tests/fixtures/html-golden.json holds what
`render.to_html` and `render.cacheable_html` produce for the sides in CASES,
recorded with one HTML_VERSION. If the output of any side changes while the
version stays the same, this test fails: stale HTML would reach Anki.

When the change is meant (or a dependency's upgrade caused it), bump HTML_VERSION
in flashcards/htmlcache.py, then re-record:

    FLASHCARDS_UPDATE_GOLDEN=1 pytest tests/test_html_golden.py

Re-recording refuses to overwrite changed HTML under the recorded version, and
adds new cases (a side added to CASES) without a bump: their HTML was never cached
under another output.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from flashcards.htmlcache import HTML_VERSION
from flashcards.render import cacheable_html, to_html

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "html-golden.json"
UPDATE = "FLASHCARDS_UPDATE_GOLDEN"
RERECORD = (f"bump HTML_VERSION in flashcards/htmlcache.py, then re-record with "
            f"{UPDATE}=1 pytest tests/test_html_golden.py")
# The libraries whose output goes into the HTML: recorded for the failure message.
RENDERING_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "pygments", "nh3")

# One card side per shape the renderer emits (the list in render.py's docstring).
CASES: dict[str, str] = {
    "plain": "Plain text with *emphasis*, **strong**, ~~struck~~, `code` and a "
             "[link](https://example.org/a?b=1&c=2 \"title\").",
    "paragraphs-and-breaks": "First line  \nsecond line\\\nthird.\n\nA second paragraph.",
    "code-python": "```python\ndef loss(y, p):\n    \"\"\"Cross-entropy.\"\"\"\n\n"
                   "    return -(y * log(p))  # <not a tag> & more\n```",
    "code-regex-lexers": "```bash\necho \"$HOME\" | grep -E '^x+' && exit 1\n```\n\n"
                         "```sql\nSELECT a FROM t WHERE x = 'y'; -- c\n```\n\n"
                         "```javascript\nconst f = (x) => `${x}`;\n```",
    "code-own-lexers": "```c\nint main(void) { return 1 << 3; }\n```\n\n"
                       "```yaml\nkey: [1, 2.5e-3, true, null]  # c\n```\n\n"
                       "```json\n{\"k\": [1, null]}\n```",
    "code-unknown-language": "```no-such-language\nx < y && z\n```",
    "code-no-language": "```\nplain <b>code</b>\n```\n\n    indented & code",
    "code-span-html": "Use `<div class=\"a\">` and `a && b`.",
    "math-inline": r"When $\alpha_i < \beta$ & $x^2 + \frac{a}{b}$, "
                   r"with $\{a, b\}$ and $\lVert w \rVert_2^2$.",
    "math-display": "$$\n\\sum_{i=1}^n x_i < \\infty\n$$\n\n"
                    "$$\na^2 + b^2\n$$ (eq1)",
    "math-display-in-paragraph": r"Then $$\int_0^1 f(x)\,dx$$ follows.",
    "math-not-prices": "It costs $5 and $10, or $ 3 $.",
    "cloze": "{{c1::Paris}} is the capital of {{c2::France::a country}}.",
    "cloze-with-markup": r"{{c1::*Adam*}} keeps {{c2::$m_t = \beta_1 m_{t-1}$::a moving mean}}.",
    "table": "| Model | Loss | Note |\n|:------|-----:|:----:|\n"
             "| linear | $\\frac{1}{2}(y - \\hat y)^2$ | `l2` |\n"
             "| logistic | `log(1 + e^{-z})` | a \\| pipe |",
    "images-local": "![a *cat*](images/cat.png) and ![dog](<my pics/dög.png> \"Dog\")",
    "images-remote": "![r](https://example.org/a.png) ![p](//cdn.example.org/p.svg)",
    "lists": "- one\n- two\n  - nested *a*\n  - nested b\n\n3. three\n4. four\n\n"
             "- loose\n\n- list",
    "blocks": "> quoted **text**\n> - in a list\n\n### A heading\n\n---\n\nAfter the rule.",
    "rule-first": "---\nBetween rules.\n\n---",
    "escapes": "\\*not emphasis\\* \\$not math\\$ \\`not code\\` &amp; &lt;tag&gt; "
               "&copy; 5 < 6 & 7 > 3 \"quotes\" 'single'",
    "html-kept": "<b>bold</b> <kbd>Ctrl</kbd> <sub>2</sub>\n\n"
                 "<details><summary>More</summary>\n\nInside.\n\n</details>",
    "html-removed": "<script>alert(1)</script><style>p{}</style>"
                    "<img src=x onerror=alert(1)> <a href=\"javascript:alert(1)\">x</a> "
                    "<!-- a comment --> <p style=\"color: red\">styled</p>",
    "control-characters": "a\x1fb \x1b[31mred\x1b[0m\x00 and \u200b zero width",
    "unicode": "Ünïcödé — “typography” … 日本語 😀",
}


def render_case(text: str) -> dict:
    """What the cache would hold for a side, and what an export writes for it."""
    return {
        "markdown": text,
        "html": to_html(text),
        # An export maps a local image to its media file's name.
        "html_exported": to_html(text, image_src=lambda src: "media-" + src.replace("/", "-")),
        "cacheable": cacheable_html(text) is not None,
    }


def library_versions() -> dict[str, str]:
    found = {}
    for name in RENDERING_LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "?"
    return found


def load() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def record(recorded: dict | None) -> dict:
    """The fixture as it should be now; refuses to rewrite HTML without a version bump."""
    rendered = {name: render_case(text) for name, text in CASES.items()}
    if recorded and recorded["html_version"] == HTML_VERSION:
        changed = sorted(name for name, case in rendered.items()
                         if name in recorded["cases"] and recorded["cases"][name] != case)
        if changed:
            raise AssertionError(
                f"the HTML of {changed} changed under HTML_VERSION {HTML_VERSION}: "
                f"bump HTML_VERSION in flashcards/htmlcache.py before re-recording")
    return {"html_version": HTML_VERSION, "recorded_with": library_versions(),
            "cases": rendered}


def write(data: dict) -> None:
    # Whole or not at all: each pytest worker (-n) that runs this module records, and
    # another may be reading the file meanwhile.
    temporary = FIXTURE.with_name(f"{FIXTURE.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
                         + "\n", encoding="utf-8")
    os.replace(temporary, FIXTURE)


@pytest.fixture(scope="module")
def recorded() -> dict:
    if os.environ.get(UPDATE):
        write(record(load() if FIXTURE.exists() else None))
    return load()


def test_the_fixture_is_recorded_with_the_current_html_version(recorded):
    assert recorded["html_version"] == HTML_VERSION, (
        f"HTML_VERSION is {HTML_VERSION} but the fixture was recorded with "
        f"{recorded['html_version']}: re-record with {UPDATE}=1 pytest tests/test_html_golden.py")


def test_every_case_is_recorded(recorded):
    missing = sorted(set(CASES) - set(recorded["cases"]))
    assert not missing, f"no recorded HTML for {missing}: {UPDATE}=1 pytest {__file__}"
    unused = sorted(set(recorded["cases"]) - set(CASES))
    assert not unused, f"recorded cases no longer in CASES: {unused}; re-record"


@pytest.mark.parametrize("name", CASES)
def test_html_is_the_recorded_html_of_this_version(recorded, name):
    case = recorded["cases"].get(name)
    if case is None or recorded["html_version"] != HTML_VERSION:
        pytest.skip("not recorded for this version (the tests above fail)")
    assert case["markdown"] == CASES[name], f"the case's text changed: {RERECORD}"
    now = render_case(CASES[name])
    libraries = ", ".join(f"{lib} {was} -> {library_versions()[lib]}"
                          for lib, was in recorded["recorded_with"].items()
                          if library_versions()[lib] != was)
    hint = f" (recorded with other libraries: {libraries})" if libraries else ""
    for key in ("html", "html_exported", "cacheable"):
        assert now[key] == case[key], (
            f"{key} of {name!r} changed while HTML_VERSION is still {HTML_VERSION}{hint}: "
            f"the store would keep serving the old HTML. If the change is meant, {RERECORD}")


def test_the_cases_cover_every_shape_render_emits(recorded):
    html = "\n".join(case["html"] for case in recorded["cases"].values())
    for shape in ('<pre class="highlight"><code class="language-python">',
                  '<pre><code class="language-no-such-language">', "<pre><code>",
                  "\\(", '<div class="math">\\[', "<p>Then \\[", "{{c1::", "<table>",
                  '<th style="text-align:right">', '<img src="images/cat.png"', "<ol start=\"3\">",
                  "<ul>", "<blockquote>", "<hr>", "&amp;", "&lt;"):
        assert shape in html, shape
    exported = "\n".join(case["html_exported"] for case in recorded["cases"].values())
    assert 'src="media-images-cat.png"' in exported
    assert 'src="https://example.org/a.png"' in exported
    assert not recorded["cases"]["images-local"]["cacheable"]
    assert recorded["cases"]["images-remote"]["cacheable"]
