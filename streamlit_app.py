"""cnnapps entry point: page setup, navigation and the shared sidebar (no torch code here)."""

import streamlit as st

from cnnapps.ui.sidebar import render_sidebar

st.set_page_config(page_title="cnnapps: CNNs you can watch", page_icon=":material/neurology:",
                   layout="wide")

PAGES = {
    "Overview": [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)],
    "Applications": [
        st.Page("pages/classify.py", title="Classify an image", icon=":material/image_search:"),
        st.Page("pages/sentiment.py", title="Sentiment of text",
                icon=":material/sentiment_satisfied:"),
        st.Page("pages/detect.py", title="Detect objects", icon=":material/center_focus_strong:"),
        st.Page("pages/faces.py", title="Faces", icon=":material/face:"),
        st.Page("pages/medical.py", title="Medical imaging", icon=":material/radiology:"),
        st.Page("pages/explorer.py", title="Inside a CNN", icon=":material/layers:"),
        st.Page("pages/digits.py", title="Draw a digit", icon=":material/draw:"),
        st.Page("pages/lab.py", title="Training lab", icon=":material/model_training:"),
    ],
}

page = st.navigation(PAGES)
# Drawn before the page, so that it is there even when the page ends early: after st.stop()
# (a page without input) Streamlit runs no more st.* calls, not even in a `finally`. Drawn again
# into the same slot after a page that ran to the end, so that the device line names the device
# the page's model just loaded on.
runtime = st.sidebar.empty()
render_sidebar(runtime.container())
page.run()
render_sidebar(runtime.container())
