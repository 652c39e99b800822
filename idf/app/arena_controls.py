"""The Sampler arena's one extra widget: a multiselect bound to the URL (its
value there is a comma-separated list), on top of ``idf.app.params.Controls``."""

from __future__ import annotations

import streamlit as st

from idf.app.params import Controls


class ArenaControls(Controls):
    """``Controls`` plus a multiselect whose URL value is a comma-separated list."""

    def multiselect(
        self,
        name: str,
        label: str,
        options: list[str],
        default: list[str],
        max_selections: int,
        format_func=str,
        help: str | None = None,
    ) -> list[str]:
        def parse(raw: str) -> tuple[list[str], str | None]:
            items = [s.strip() for s in raw.split(",") if s.strip()]
            good = [s for s in dict.fromkeys(items) if s in options]
            problems = []
            if len(good) != len(items):
                problems.append(f"unknown or repeated entries dropped (choose from {', '.join(options)})")
            if len(good) > max_selections:
                good = good[:max_selections]
                problems.append(f"at most {max_selections}; kept the first {max_selections}")
            if not good:
                return list(default), "; ".join(problems + [f"using {','.join(default)}"])
            return good, ("; ".join(problems) + ".") if problems else None

        key = self._bind(name, list(default), parse)
        current = [v for v in st.session_state[key] if v in options]
        if current != st.session_state[key]:  # options can shrink (e.g. diffusion needs a Gaussian target)
            st.session_state[key] = current
        value = list(
            self.container.multiselect(
                label, options, key=key, format_func=format_func, help=help, max_selections=max_selections
            )
        )
        self.values[name] = ",".join(value)
        self.defaults[name] = ",".join(default)
        if value == list(default):
            if name in st.query_params:
                del st.query_params[name]
        else:
            st.query_params[name] = ",".join(value)
        return value
