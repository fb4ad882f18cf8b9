import streamlit as st

st.title("Sentiment of text")
st.info("Placeholder until the text-CNN page lands.")
