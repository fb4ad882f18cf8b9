"""Sentiment of text: Kim (2014)'s sentence CNN on one sentence (explained) or on many."""

import pandas as pd
import streamlit as st

from cnnapps.errors import CnnappsError
from cnnapps.tasks.sentiment import MAX_CHARS, explain, predict_batch
from cnnapps.text.highlight import highlight_words_html, probability_bar_html
from cnnapps.text.io import guess_text_column, read_lines, read_table_report
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
            kept = f" (it kept only {' '.join(res.tokens)!r}, punctuation alone)" if res.tokens else ""
            st.warning("The model found no words it can read" + kept + ": it reads English words and "
                       "digits; emoji and non-Latin scripts are dropped, so there is no answer to give.",
                       icon=":material/translate:")
            st.stop()
        if res.all_unknown:
            st.warning(f"None of these words is in the model's vocabulary ({', '.join(res.unknown[:10])}), "
                       "so the answer below is a guess that means nothing.", icon=":material/help:")
        if res.truncated:
            st.info(f"Long text: only the first {len(res.tokens)} of its {res.n_tokens} words were read "
                    f"({limits}).", icon=":material/content_cut:")
        st.subheader(f"{res.label} · {100 * res.probability:.1f} %", anchor=False)
        st.html(probability_bar_html(res.probabilities[1], labels=spec.labels))
        st.caption("Probabilities are calibrated (temperature scaling on held-out reviews): "
                   "among answers given at 80 %, about 80 % are right.")
        st.markdown("**Which words drove the decision** (each word's share of the winning filters)")
        st.html(highlight_words_html(text, [t.token for t in exp.tokens], [t.weight for t in exp.tokens],
                                     labels=spec.labels, known=[t.known for t in exp.tokens]))
        if res.unknown and not res.all_unknown:
            st.caption(f"Unknown words (read as <unk>): {', '.join(dict.fromkeys(res.unknown))}")
        cols = st.columns(2)
        for col, label, grams in zip(cols, spec.labels, exp.top_ngrams, strict=True):
            col.markdown(f"**Top phrases toward {label}**")
            if grams:  # st.table wraps long phrases instead of cutting them
                col.table(pd.DataFrame({"phrase": [g.text for g in grams],
                                        "weight": [f"{abs(g.weight):.3f}" for g in grams]}).set_index("phrase"))
            else:
                col.caption("none")
else:
    with left:
        source = st.radio("Sentences from", ["Paste lines", "Upload CSV/TXT"], horizontal=True,
                          key="sentiment_source")
        texts: list[str] = []
        frame: pd.DataFrame | None = None  # an upload, every original column kept
        if source == "Paste lines":
            block = st.text_area("One sentence per line", EXAMPLE_LINES, key="sentiment_lines", height=200)
            texts = read_lines(block)
        else:
            upload = st.file_uploader("CSV or TXT file", type=["csv", "txt"], key="sentiment_upload",
                                      help="UTF-8, UTF-16 (with BOM) or Windows cp1252; comma, semicolon, "
                                           "tab or pipe separated; with or without a header row.")
            if upload is not None:
                header_key = f"sentiment_header:{upload.file_id}"  # a new file is detected afresh
                header_choice = st.session_state.get(header_key)
                try:
                    frame, report = read_table_report(upload.getvalue(), name=upload.name,
                                                      header=header_choice)
                except CnnappsError as err:
                    show_error(err)
                    st.stop()
                st.caption(f"Read as: {report.summary()}")
                for note in report.notes:
                    st.info(note, icon=":material/info:")
                st.checkbox("The first line is a header", value=report.header, key=header_key,
                            help="Detected automatically; untick it if the first line is a sentence.")
                columns = [str(c) for c in frame.columns]
                column = st.selectbox("Column with the sentences", columns,
                                      index=columns.index(guess_text_column(frame)), key="sentiment_column")
                with st.expander(f"Preview: the first rows of {len(frame):,}", expanded=True):
                    st.table(frame.head(5))
                texts = [str(t) for t in frame[column]]
    with right:
        if not texts:
            st.info("Paste sentences (one per line) or upload a CSV/TXT file.", icon=":material/list:")
            st.stop()
        if len(texts) > MAX_ROWS:
            st.info(f"{len(texts):,} sentences: only the first {MAX_ROWS:,} are classified; the "
                    "download keeps every row (the others without a label).", icon=":material/content_cut:")
        update, close = progress_bar("Sentences classified:")
        try:
            results = predict_batch(loaded, texts[:MAX_ROWS], progress=update)
        except CnnappsError as err:
            show_error(err)
            st.stop()
        close()
        predicted = pd.DataFrame({"label": [r.label for r in results],
                                  "probability (%)": [round(100.0 * r.probability, 2) for r in results],
                                  "note": [r.note for r in results]})
        if frame is None:
            table = pd.concat([pd.DataFrame({"sentence": texts[:MAX_ROWS]}), predicted], axis=1)
        else:  # the upload's own columns, then ours (renamed if the file already has them)
            taken = {str(c) for c in frame.columns}
            predicted.columns = [c if c not in taken else f"{c} (model)" for c in predicted.columns]
            table = pd.concat([frame.reset_index(drop=True), predicted], axis=1)
            cut = table[predicted.columns[2]].isna()
            table.loc[cut, predicted.columns[2]] = "not classified (row limit)"
        counts = predicted.iloc[:, 0].value_counts()
        st.subheader(f"{len(table):,} sentences", anchor=False)
        st.markdown(" · ".join(f"**{label}**: {counts.get(label, 0):,}" for label in spec.labels))
        flagged = int((predicted.iloc[:, 2] != "").sum())
        if flagged:
            st.warning(f"{flagged} sentence(s) had no readable or known words or were truncated "
                       f"({limits}): see the note column.", icon=":material/help:")
        st.dataframe(table, hide_index=True, width="stretch")
        download_csv(table, "sentiment.csv")
