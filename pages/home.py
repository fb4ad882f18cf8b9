"""Home: what cnnapps is and which applications it offers."""

from pathlib import Path

import streamlit as st

from cnnapps.ui.navigation import ensure_app_navigation

ensure_app_navigation()

st.title("cnnapps: convolutional networks you can watch")
st.markdown(
    "Upload a photo or a sentence and see a real CNN decide, and *why*: class-activation heat "
    "maps for images, word and n-gram highlights for text. Every application works offline with "
    "a bundled model, and uses a GPU when the machine has one."
)

APPS = [
    ("pages/classify.py", ":material/image_search:", "Classify an image",
     "ImageNet's 1000 classes with MobileNetV2 (bundled) or AlexNet, VGG-16, ResNet, "
     "MobileNetV3, EfficientNet, ConvNeXt; top-k chart, Grad-CAM heat map, batch CSV."),
    ("pages/sentiment.py", ":material/sentiment_satisfied:", "Sentiment of text",
     "Kim's 2014 sentence CNN trained by this project on SST-2 and movie reviews; "
     "shows which words and n-grams drove the decision."),
    ("pages/detect.py", ":material/center_focus_strong:", "Detect objects",
     "80 COCO classes in photos and videos with Yolo-Fastest (bundled, our darknet port) or "
     "torchvision's detectors; the YOLO grid explained, EigenCAM, COCO JSON/CSV/ZIP downloads."),
    ("pages/faces.py", ":material/face:", "Faces",
     "MTCNN + MobileFaceNet: detect with landmarks, verify two photos, identify against a private "
     "gallery, cluster a collection by person, blur faces in photos and videos."),
    ("pages/medical.py", ":material/radiology:", "Medical imaging",
     "A DICOM viewer that follows the standard (windows, series, de-identification) and a "
     "pneumonia CNN trained here, calibrated, with Grad-CAM and an out-of-distribution check."),
    ("pages/explorer.py", ":material/layers:", "Inside a CNN",
     "Convolution, pooling and activations on your image; LeNet-5 to ResNet and MobileNetV2: "
     "layer tables, block diagrams, feature maps, receptive fields. Draw a digit for LeNet-5."),
    ("pages/lab.py", ":material/model_training:", "Training lab",
     "Train LeNet-5, a small VGG or ResNet on a few hundred digits and watch it overfit live; "
     "then cure it (augmentation, dropout, batch norm, L1/L2, early stopping) and compare runs."),
]

# Thumbnails of real results (scripts/make_home_thumbnails.py); plain files, so Home needs no torch.
THUMBS = Path(__file__).resolve().parents[1] / "cnnapps" / "assets" / "home"

PER_ROW = 4  # seven cards in one row left each a sliver; two rows of four read well on a laptop
cells = [column for _ in range(0, len(APPS), PER_ROW) for column in st.columns(PER_ROW)]
for column, (path, icon, title, blurb) in zip(cells, APPS, strict=False):
    with column.container(border=True):
        thumb = next(iter(sorted(THUMBS.glob(Path(path).stem + ".*"))), None)
        if thumb is not None:
            st.image(str(thumb), width="stretch")
        st.page_link(path, label=title, icon=icon)
        st.caption(blurb)
