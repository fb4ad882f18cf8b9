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
try:
    page.run()
finally:
    # After the page, so the device line can name the device the page's model just loaded on;
    # in `finally` because a page ends early with st.stop() (an exception) when it has no input.
    render_sidebar()
