"""Sentiment of text: Kim (2014)'s sentence CNN on one sentence (explained) or on many."""

import pandas as pd
import streamlit as st

from cnnapps.errors import CnnappsError
from cnnapps.tasks.sentiment import MAX_CHARS, explain, predict_batch
from cnnapps.text.highlight import highlight_html
from cnnapps.text.io import guess_text_column, read_lines, read_table
from cnnapps.ui.errors import show_error
from cnnapps.ui.loaders import model_or_stop
from cnnapps.ui.navigation import ensure_app_navigation
from cnnapps.ui.progress import progress_bar
from cnnapps.ui.widgets import download_csv, model_details, model_picker

ensure_app_navigation()

EXAMPLE_LINES = (
    "a gorgeous, witty, seductive movie.\n"
    "the plot is nothing but boilerplate clichés\n"
    "an ambitious failure that mistakes noise for energy.\n"
    "the performances are uniformly excellent."
)
MAX_ROWS = 10_000  # sentences per batch run; more are cut with a notice

st.title("Sentiment of text")
st.caption("Is a sentence positive or negative, and which words and phrases decided it? "
           "A convolutional network over word vectors (Kim 2014), trained on movie reviews.")

left, right = st.columns([2, 3])
with left:
    spec = model_picker("sentiment", key="sentiment_model")
    mode = st.radio("Input", ["One sentence", "Many sentences"], horizontal=True, key="sentiment_mode")
    model_details(spec)

loaded = model_or_stop(spec, panel=right)

limits = f"at most {loaded.module.max_length} words and {MAX_CHARS:,} characters are read"

if mode == "One sentence":
    with left:
        text = st.text_area("Sentence", "a gorgeous, witty, seductive movie.", key="sentiment_text",
                            help=f"English, one sentence or a short review; {limits}.")
        top_k = st.slider("Phrases to show per class", 1, 10, 5, key="sentiment_topk")
    with right:
        if not text.strip():
            st.info("Type or paste a sentence on the left to see its sentiment.", icon=":material/edit:")
            st.stop()
        try:
            exp = explain(loaded, text, top_k=top_k)
        except CnnappsError as err:
            show_error(err)
            st.stop()
        res = exp.result
        if res.no_words:
            st.warning("The model found no words it can read: it reads English words, digits and "
                       "basic punctuation; emoji and non-Latin scripts are dropped.", icon=":material/translate:")
            st.stop()
        if res.all_unknown:
            st.warning(f"None of these words is in the model's vocabulary ({', '.join(res.unknown[:10])}), "
                       "so the answer below is a guess that means nothing.", icon=":material/help:")
        if res.truncated:
            st.info(f"Long text: only the first {len(res.tokens)} of its {res.n_tokens} words were read "
                    f"({limits}).", icon=":material/content_cut:")
        st.subheader(f"{res.label} · {100 * res.probability:.1f} %", anchor=False)
        st.progress(res.probabilities[1], text=f"{spec.labels[0]} ← → {spec.labels[1]}")
        st.markdown("**Which words drove the decision** (each word's share of the winning filters)")
        st.html(highlight_html([t.token for t in exp.tokens], [t.weight for t in exp.tokens],
                               labels=spec.labels, known=[t.known for t in exp.tokens]))
        if res.unknown and not res.all_unknown:
            st.caption(f"Unknown words (read as <unk>): {', '.join(dict.fromkeys(res.unknown))}")
        cols = st.columns(2)
        for col, label, grams in zip(cols, spec.labels, exp.top_ngrams, strict=True):
            col.markdown(f"**Top phrases toward {label}**")
            if grams:
                col.dataframe(pd.DataFrame({"phrase": [g.text for g in grams],
                                            "weight": [round(abs(g.weight), 3) for g in grams]}),
                              hide_index=True, width="stretch")
            else:
                col.caption("none")
else:
    with left:
        source = st.radio("Sentences from", ["Paste lines", "Upload CSV/TXT"], horizontal=True,
                          key="sentiment_source")
        texts: list[str] = []
        if source == "Paste lines":
            block = st.text_area("One sentence per line", EXAMPLE_LINES, key="sentiment_lines", height=200)
            texts = read_lines(block)
        else:
            upload = st.file_uploader("CSV or TXT file", type=["csv", "txt"], key="sentiment_upload")
            if upload is not None:
                try:
                    frame = read_table(upload.getvalue(), name=upload.name)
                except CnnappsError as err:
                    show_error(err)
                    st.stop()
                columns = [str(c) for c in frame.columns]
                column = st.selectbox("Column with the sentences", columns,
                                      index=columns.index(guess_text_column(frame)), key="sentiment_column")
                texts = [t.strip() for t in frame[column].astype(str) if t.strip()]
    with right:
        if not texts:
            st.info("Paste sentences (one per line) or upload a CSV/TXT file.", icon=":material/list:")
            st.stop()
        if len(texts) > MAX_ROWS:
            st.info(f"{len(texts):,} sentences: only the first {MAX_ROWS:,} are classified.",
                    icon=":material/content_cut:")
            texts = texts[:MAX_ROWS]
        update, close = progress_bar("Sentences classified:")
        try:
            results = predict_batch(loaded, texts, progress=update)
        except CnnappsError as err:
            show_error(err)
            st.stop()
        close()
        table = pd.DataFrame([{"sentence": r.text, "label": r.label,
                               "probability (%)": round(100.0 * r.probability, 2), "note": r.note}
                              for r in results])
        counts = table["label"].value_counts()
        st.subheader(f"{len(table):,} sentences", anchor=False)
        st.markdown(" · ".join(f"**{label}**: {counts.get(label, 0):,}" for label in spec.labels))
        flagged = int((table["note"] != "").sum())
        if flagged:
            st.warning(f"{flagged} sentence(s) had no readable or known words or were truncated "
                       f"({limits}): see the note column.", icon=":material/help:")
        st.dataframe(table, hide_index=True, width="stretch")
        download_csv(table, "sentiment.csv")
