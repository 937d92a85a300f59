"""The console's entry point: `streamlit run console/app.py` (what `credit-risk console` runs)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="credit-risk console", page_icon=":bank:", layout="wide")
navigation = st.navigation(
    [
        st.Page(
            PAGES / "apply_page.py", title="Apply", icon=":material/edit_document:", default=True
        ),
        st.Page(PAGES / "portfolio_page.py", title="Portfolio", icon=":material/account_balance:"),
        st.Page(PAGES / "models_page.py", title="Models", icon=":material/model_training:"),
        st.Page(PAGES / "monitoring_page.py", title="Monitoring", icon=":material/monitoring:"),
    ]
)
navigation.run()
