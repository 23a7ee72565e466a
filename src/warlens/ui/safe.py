"""The one way text from a data file, a link or the environment reaches Streamlit's markdown.

`st.markdown`, `st.caption`, `st.warning`, titles, page-link labels and tooltips all read
their string as Streamlit's markdown, which goes well beyond CommonMark: besides links,
images and HTML it turns `:red[...]` into colour, `:material/home:` into an icon and
`$...$` into LaTeX, and it autolinks bare `https://...`, `www....` and e-mail addresses.
`md_escape` makes any text inert for all of that; every page calls it for every string it
did not write itself (tests/test_escaping.py reads the source of every page to check), or
shows the text with st.text, st.code or st.dataframe, which render nothing.
"""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=\"'^])")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: An invisible character that joins nothing: placed inside what the browser's markdown
#: would autolink or turn into an icon, it breaks the pattern and changes nothing shown.
WORD_JOINER = "\u2060"
# Where to put it, in escaped text (":" and "." are backslash-escaped by then): inside
# "scheme://" and "www.", after "@" (e-mail addresses, mailto: and xmpp:), and after the
# colon of ":material/...:" (the icon syntax is found even when its colons are escaped).
_BREAKS = re.compile(r"(?<=[A-Za-z])(?=\\:/)|(?<=[Ww]{3})(?=\\\.)|(?<=@)|(?<=\\:)(?=material/)",
                     re.IGNORECASE)


def md_escape(text: object) -> str:
    """Text from a data file or URL, made inert for Streamlit's markdown.

    No markup, HTML, link, autolink, image, colour directive, icon or formula survives:
    every markdown character is backslash-escaped, right-to-left overrides are dropped,
    and a word joiner breaks what would be autolinked or drawn as an icon. Newlines
    become markdown line breaks. Runs in time linear in the text.
    """
    plain = _BIDI.sub("", "" if text is None else str(text))
    escaped = _MD_SPECIAL.sub(r"\\\1", plain)
    return _BREAKS.sub(WORD_JOINER, escaped).replace("\n", "  \n")
