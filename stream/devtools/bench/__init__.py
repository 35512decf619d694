"""``listing-monitor bench``: the full worker against a bare Faust agent (``baseline``),
through the real broker (``runner``)."""
