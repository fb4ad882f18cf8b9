"""Training lab: train a small CNN on few images, watch it overfit, then cure it (issue 12)."""

import pandas as pd
import streamlit as st

from cnnapps.errors import CnnappsError
from cnnapps.lab.config import AUGMENTATIONS, LabConfig
from cnnapps.lab.data import DATASET_INFO, available_datasets
from cnnapps.lab.runner import start_job
from cnnapps.lab.tour import TOUR_BASE, TOUR_QUICK, tour_configs, tour_rows
from cnnapps.ui import lab as ui
from cnnapps.ui.errors import show_error
from cnnapps.ui.loaders import app_device
from cnnapps.ui.navigation import ensure_app_navigation

ensure_app_navigation()

MODEL_NAMES = {"lenet5": "LeNet-5", "vgg": "Small VGG", "resnet": "Small ResNet"}
POLL_S = 0.5  # how often the live view refreshes while a run trains
ORPHAN_S = 120.0  # a run nobody has looked at for this long is stopped (tab closed, session gone)

st.title("Training lab")
st.caption("Train a small CNN on a few hundred images and watch it overfit: training accuracy "
           "races to 100 % while validation lags behind. Then switch on a cure (augmentation, "
           "dropout, batch norm, weight decay, L1, early stopping) and measure what it changes.")

job = ui.current_job()
busy = job is not None and not job.status().done

with st.sidebar.expander("Lab settings", expanded=True):
    datasets = available_datasets()
    dataset = st.selectbox("Data set", datasets, format_func=lambda d: DATASET_INFO[d][0], key="lab_dataset")
    model = st.selectbox("Model", list(MODEL_NAMES), format_func=MODEL_NAMES.get, key="lab_model")
    train_size = st.select_slider("Training images", [50, 100, 200, 500, 1000, 2000, 4000], value=200,
                                  key="lab_train_size", help="Few images provoke overfitting.")
    val_size = st.select_slider("Validation images", [200, 500, 1000, 2000], value=1000, key="lab_val_size")
    epochs = st.slider("Epochs", 1, 50, 20, key="lab_epochs")
    optimizer = st.selectbox("Optimiser", ["adam", "adamw", "sgd"], key="lab_optimizer",
                             help="SGD uses momentum 0.9; AdamW decouples weight decay.")
    lr = st.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1], value=1e-3, key="lab_lr")
    batch_size = st.select_slider("Batch size", [8, 16, 32, 64, 128, 256], value=32, key="lab_batch")
    seed = st.number_input("Seed", 0, 10_000, 0, key="lab_seed")

st.sidebar.markdown("**Cures**")
with st.sidebar:
    augment = st.multiselect("Augmentation", AUGMENTATIONS, key="lab_augment",
                             help="shift ±3 px, rotate ±15°, scale 0.9-1.1, horizontal flip, erase a patch")
    dropout = st.slider("Dropout rate", 0.0, 0.8, 0.0, 0.1, key="lab_dropout")
    batch_norm = st.toggle("Batch normalisation", key="lab_bn")
    weight_decay = st.select_slider("Weight decay (L2)", [0.0, 1e-4, 1e-3, 5e-3, 1e-2, 5e-2], value=0.0,
                                    key="lab_wd")
    l1 = st.select_slider("L1 penalty", [0.0, 1e-5, 1e-4, 5e-4, 1e-3, 2e-3], value=0.0, key="lab_l1")
    es_on = st.toggle("Early stopping", key="lab_es")
    patience = st.slider("Patience (epochs)", 1, 10, 3, key="lab_patience", disabled=not es_on)

if "lab_error" in st.session_state:  # from the last start or the last job (a CnnappsError's message)
    show_error(CnnappsError(st.session_state.pop("lab_error")))

train_tab, tour_tab, history_tab = st.tabs(["Train", "Overfitting tour", "Run history"])


def _start(configs: list[LabConfig], names: list[str], kind: str) -> None:
    try:
        ui.set_job(start_job(configs, names=names, device=app_device(), orphan_after=ORPHAN_S))
        st.session_state["lab_job_kind"] = kind
    except CnnappsError as err:  # LabBusy: shown after the rerun below
        st.session_state["lab_error"] = str(err)


@st.fragment(run_every=POLL_S if busy else None)
def live_view(kind: str) -> None:
    """The running (or last) job of this session: progress, stop button, live curves."""
    job = ui.current_job()
    if job is None or st.session_state.get("lab_job_kind") != kind:
        return
    status = job.status()
    if not status.done:
        left, right = st.columns([5, 1])
        left.progress(status.fraction, text=status.message)
        if right.button("Stop", key=f"lab_stop_{kind}", icon=":material/stop_circle:", width="stretch"):
            job.stop()
            st.toast("Stopping after this batch…")
        if kind == "run":
            rows = list(status.live)
            if rows:
                a, b = st.columns(2)
                a.altair_chart(ui.accuracy_chart(rows, epochs=job.configs[0].epochs), width="stretch")
                b.altair_chart(ui.loss_chart(rows, epochs=job.configs[0].epochs), width="stretch")
            else:
                st.caption("The curves appear after the first epoch.")
        else:
            done_rows = tour_rows(status.names, status.finished)
            if done_rows:
                st.dataframe(pd.DataFrame(done_rows), hide_index=True)
            if status.live and status.index < len(job.configs):
                st.altair_chart(ui.accuracy_chart(list(status.live), epochs=job.configs[status.index].epochs)
                                .properties(title=f"Now training: {status.names[status.index]}"), width="stretch")
        return
    # Finished: hand the runs to the session history once, then redraw the whole page.
    ui.set_job(None)
    if status.error:
        st.session_state["lab_error"] = status.error
    prefix = "tour: " if kind == "tour" else ""
    ui.add_finished(status.finished, prefix=prefix)
    if kind == "tour":
        kept = [(n, r) for n, r in zip(status.names, status.finished, strict=False) if r.history]
        st.session_state[ui.TOUR_KEY] = {"names": [n for n, _ in kept], "runs": [r for _, r in kept],
                                         "stopped": status.stopped}
    else:
        first = status.finished[0] if status.finished else None
        st.session_state["lab_last_run"] = first if first is not None and first.history else None
    st.session_state["lab_last_stopped"] = status.stopped
    st.rerun()


with train_tab:
    try:
        config = LabConfig(dataset=dataset, model=model, train_size=train_size, val_size=val_size, epochs=epochs,
                           optimizer=optimizer, lr=lr, batch_size=batch_size, seed=int(seed),
                           augment=tuple(augment), dropout=dropout, batch_norm=batch_norm,
                           weight_decay=weight_decay, l1=l1, early_stopping=patience if es_on else None)
    except CnnappsError as err:
        show_error(err)
        config = None
    cols = st.columns([1, 3])
    if cols[0].button("Train", type="primary", icon=":material/play_arrow:", disabled=busy or config is None,
                      key="lab_train"):
        _start([config], ["run"], "run")
        st.rerun()
    cols[1].caption(f"{MODEL_NAMES[model]} on {train_size} training images ({DATASET_INFO[dataset][0]}), {epochs} epochs, "
                    f"cures: {', '.join(config.cures) if config and config.cures else 'none'}.")
    live_view("run")
    last = st.session_state.get("lab_last_run")
    if not busy and st.session_state.get("lab_job_kind") == "run" and st.session_state.get("lab_last_stopped"):
        st.info(f"Stopped after {len(last.history)} finished epoch(s)." if last else
                "Stopped before the first epoch ended: nothing to keep.", icon=":material/stop_circle:")
    if not busy and last is not None and st.session_state.get("lab_job_kind") == "run":
        m = st.columns(4)
        m[0].metric("Train accuracy", f"{last.final['train_accuracy']:.1f} %")
        m[1].metric("Validation accuracy", f"{last.final['val_accuracy']:.1f} %")
        m[2].metric("Gap", f"{last.gap:.1f} pts", help="train accuracy - validation accuracy")
        m[3].metric("Time", f"{last.seconds:.1f} s", help=f"on {last.device}")
        a, b = st.columns(2)
        a.altair_chart(ui.accuracy_chart(last.history, **ui.run_markers(last)), width="stretch")
        b.altair_chart(ui.loss_chart(last.history, **ui.run_markers(last)), width="stretch")
        if last.restored_best:
            st.caption(f"Early stopping: no lower validation loss for {last.config.early_stopping} epochs, "
                       f"so training stopped and the weights of epoch {last.best_epoch} were restored.")

with tour_tab:
    quick = st.radio("Tour size", ["Full", "Quick"], horizontal=True, key="lab_tour_size",
                     help="Quick: fewer images and epochs, about a quarter of the work; the lesson shows too.")
    tour_base = TOUR_QUICK if quick == "Quick" else TOUR_BASE
    st.markdown(
        f"One click trains **{MODEL_NAMES[tour_base.model]}** on **{tour_base.train_size} MNIST digits** for "
        f"{tour_base.epochs} epochs with no cure (the baseline), then the same with each cure alone. "
        "Same data, seed and epochs every time, so the change in the gap is the cure's doing. "
        f"{'Well under a minute' if quick == 'Quick' else 'About one to two minutes'} on an idle CPU.")
    if st.button("Run the tour", icon=":material/route:", disabled=busy, key="lab_tour_start"):
        steps = tour_configs(tour_base)
        _start([c for _, c in steps], [n for n, _ in steps], "tour")
        st.rerun()
    live_view("tour")
    tour = st.session_state.get(ui.TOUR_KEY)
    if tour and not busy:
        rows = tour_rows(tour["names"], tour["runs"])
        if tour["stopped"]:
            st.info(f"Tour stopped after {len(rows)} of {len(tour_configs())} steps.")
        if rows:
            st.altair_chart(ui.tour_chart(rows), width="stretch")
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
            st.caption("gap = train accuracy - validation accuracy of the final weights; loss gap = validation "
                       "loss - training loss; all measured in eval mode on un-augmented images; the *_change "
                       "columns are against the baseline. The two gaps differ: weight decay and L1 here "
                       "mostly make the model less over-confident (train loss up, validation loss down) "
                       "rather than right on more digits. Measured tour and discussion: docs/lab.md.")

with history_tab:
    items = ui.history()
    if not items:
        st.caption("Finished runs of this session appear here (the last "
                   f"{ui.MAX_HISTORY} are kept).")
    else:
        table = pd.DataFrame([{"run": it["label"], **it["run"].summary()} for it in items])
        st.dataframe(table, hide_index=True, width="stretch")
        labels = [it["label"] for it in items]
        default = labels[-3:]
        if "lab_compare" in st.session_state:  # runs beyond the last MAX_HISTORY are gone
            st.session_state["lab_compare"] = [x for x in st.session_state["lab_compare"] if x in labels]
            default = None  # the kept choice wins (and Streamlit warns when both are given)
        chosen = st.multiselect("Compare", labels, default=default, key="lab_compare")
        picked = [it for it in items if it["label"] in chosen]
        if picked:
            metric = st.radio("Curve", ["accuracy", "loss"], horizontal=True, key="lab_compare_metric")
            st.altair_chart(ui.overlay_chart(picked, metric=metric), width="stretch")
        pick = st.selectbox("Download run", labels, index=len(labels) - 1, key="lab_download_pick")
        run = next(it for it in items if it["label"] == pick)["run"]
        d1, d2 = st.columns(2)
        d1.download_button("Model (state dict + config JSON + history), ZIP", ui.run_zip(run),
                           file_name=f"lab_run_{pick.split()[0][1:]}.zip", mime="application/zip",
                           on_click="ignore", icon=":material/download:", key="lab_dl_zip")
        d2.download_button("History CSV", pd.DataFrame(run.rows()).to_csv(index=False),
                           file_name=f"lab_run_{pick.split()[0][1:]}_history.csv", mime="text/csv",
                           on_click="ignore", icon=":material/table:", key="lab_dl_csv")
