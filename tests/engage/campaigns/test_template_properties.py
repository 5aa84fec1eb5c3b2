"""Property tests of the template language: any text is either refused with a CampaignError or
renders exactly as str.format would with every value filled (fallbacks for missing ones)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from siyu.engage.campaigns.errors import CampaignError
from siyu.engage.campaigns.templates import FALLBACKS, parse_template

PIECES = st.sampled_from(
    ["{", "}", "{{", "}}", "{name}", "{last_product}", "{coupon}", "{nmae}", "{0}", "{name!r}",
     "{name:>3}", "您好", "a", " ", "，"]
)  # fmt: skip
VALUES = st.fixed_dictionaries(
    {name: st.one_of(st.none(), st.just(""), st.text(max_size=5)) for name in FALLBACKS}
)


@given(st.lists(PIECES, max_size=12).map("".join), VALUES)
def test_templates_are_refused_or_render_like_format(
    text: str, values: dict[str, str | None]
) -> None:
    try:
        template = parse_template(text)
    except CampaignError as error:
        refused = error
    else:
        refused = None
    if refused is not None:
        assert refused.code == "invalid_template"
        return
    filled = {name: value or FALLBACKS[name] for name, value in values.items()}
    assert template.render(values) == text.format_map(filled)
    assert template.fields <= set(FALLBACKS)


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=40))
def test_text_without_braces_is_itself(text: str) -> None:
    template = parse_template(text)
    assert template.fields == frozenset()
    assert template.render({}) == text
