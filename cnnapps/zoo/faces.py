"""Face models: MTCNN (detection + 5 landmarks) and two embedding networks.

- ``mtcnn``: facenet-pytorch 2.5.3's MTCNN (Zhang et al. 2016); its P/R/O-net weights come
  from the facenet-pytorch wheel, bundled here as three files so the registry checks their hashes.
- ``mobilefacenet`` (bundled): our port of foamliu/MobileFaceNet (ArcFace loss, MS1M), 112x112.
- ``facenet_vggface2`` (download): facenet-pytorch's InceptionResnetV1 trained on VGGFace2,
  160x160, downloaded on first use into ``$TORCH_HOME/checkpoints`` (facenet-pytorch's own cache,
  so a file it downloaded earlier is reused).

Thresholds are cosine similarities from ``scripts/calibrate_faces.py`` (see docs/faces.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import torch
from torch import nn

from cnnapps.models.mobilefacenet import EMBEDDING_DIM, INPUT_SIZE, MEAN, STD, mobilefacenet
from cnnapps.registry import ModelMeta, ModelSpec, WeightsSource, register

__all__: list[str] = []

MS1M_CAVEAT = (
    "Trained on MS-Celeb-1M, a data set withdrawn by its publisher whose terms were for "
    "non-commercial research: shown here as a research demo only."
)


class MtcnnNets(nn.Module):
    """MTCNN's three networks (facenet-pytorch's PNet, RNet, ONet) as one module.

    Only the networks: the cascade itself (pyramid, NMS, box regression) is facenet-pytorch's
    ``detect_face``, called by :func:`cnnapps.faces.detect.run_mtcnn`. ``pretrained=False``, so
    building reads no file; :func:`_load_mtcnn` loads our bundled copies of the wheel's weights.
    """

    def __init__(self) -> None:
        super().__init__()
        from facenet_pytorch.models.mtcnn import ONet, PNet, RNet

        self.pnet, self.rnet, self.onet = PNet(pretrained=False), RNet(pretrained=False), ONet(pretrained=False)


def _load_mtcnn(paths: Mapping[str, Path]) -> nn.Module:
    nets = MtcnnNets()
    for name in ("pnet", "rnet", "onet"):
        state = torch.load(paths[name], map_location="cpu", weights_only=True)
        getattr(nets, name).load_state_dict(state, strict=True)
    return nets.eval()


# The three files are copied unchanged from the facenet-pytorch 2.5.3 wheel (facenet_pytorch/data/).
_MTCNN_FILES = {
    "pnet": ("mtcnn_pnet.pt", "a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f", 28_570),
    "rnet": ("mtcnn_rnet.pt", "bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86", 403_147),
    "onet": ("mtcnn_onet.pt", "165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d", 1_559_269),
}

register(
    ModelSpec(
        name="mtcnn",
        task="face_detection",
        display_name="MTCNN (facenet-pytorch, bundled, offline)",
        build=MtcnnNets,
        weights={key: WeightsSource(filename=f, sha256=h, bundled=True, size_bytes=n)
                 for key, (f, h, n) in _MTCNN_FILES.items()},
        load=_load_mtcnn,
        head="boxes",
        meta=ModelMeta(
            licence="MIT (facenet-pytorch, whose wheel ships these weights)",
            citation="Zhang et al. 2016, Joint Face Detection and Alignment using Multitask Cascaded "
            "Convolutional Networks, IEEE SPL 23(10)",
            description="Three-stage cascade (P-, R-, O-net) over an image pyramid: face boxes, a "
            "face probability and five landmarks (eyes, nose, mouth corners).",
        ),
        options={"min_probability": 0.9, "min_face_size": 20},
    )
)


register(
    ModelSpec(
        name="mobilefacenet",
        task="face_embedding",
        display_name="MobileFaceNet, ArcFace / MS1M (bundled, offline)",
        build=mobilefacenet,
        weights=MappingProxyType({
            "model": WeightsSource(
                filename="mobilefacenet.pt",
                sha256="90a00ba1d8b0b688af3deb731ed53dca582e6106805d1bc3cfdef55f570493f4",
                bundled=True,
                size_bytes=4_135_271,
            )
        }),
        head="embedding",
        meta=ModelMeta(
            licence="Apache-2.0 (foamliu/MobileFaceNet); training data MS1M: research use",
            citation="Chen et al. 2018, MobileFaceNets: Efficient CNNs for Accurate Real-Time Face "
            "Verification on Mobile Devices, arXiv:1804.07573; ArcFace: Deng et al. 2019",
            description="1.0 M parameters, 112x112 aligned face -> 128-d embedding. Source reports "
            "99.48 % on LFW.",
            # scripts/calibrate_faces.py (docs/faces.md): 36 same / 192 different pairs of the 22
            # reference faces through our pipeline; tiny and separable, so not a benchmark.
            metrics=MappingProxyType({"verification accuracy, 228 reference pairs (%)": 100.0,
                                      "ROC AUC, 228 reference pairs": 1.0}),
            caveat=MS1M_CAVEAT,
        ),
        options=MappingProxyType({
            "input_size": INPUT_SIZE, "mean": MEAN, "std": STD, "embedding_dim": EMBEDDING_DIM,
            # Cosine threshold from scripts/calibrate_faces.py: the middle of the gap between
            # the lowest same-person (0.549) and highest different-person (0.243) similarity of our
            # pipeline on the 22 reference faces (set B).
            "threshold": 0.396,
        }),
    )
)


def _inception_resnet() -> nn.Module:
    from facenet_pytorch import InceptionResnetV1

    model = InceptionResnetV1(classify=False)
    model.logits = nn.Linear(512, 8631)  # in the checkpoint (VGGFace2's identities); unused
    return model


register(
    ModelSpec(
        name="facenet_vggface2",
        task="face_embedding",
        display_name="FaceNet InceptionResnetV1, VGGFace2 (download)",
        build=_inception_resnet,
        weights=MappingProxyType({
            "model": WeightsSource(
                filename="20180402-114759-vggface2.pt",
                # Not verified here (the build machine cannot download): the digest a public
                # project pins for this release file (its AlexNet pin matches torchvision's
                # "-7be5be79" name prefix, so its pins are real file hashes).
                sha256="281cebca8662831adb987a874bdcb36e73f5b1c6dc5ee5878f305e985625d99b",
                # Approximate (facenet-pytorch's README: "107MB"); only the progress bar's
                # fallback total and the "how big" message use it.
                size_bytes=107_000_000,
                url="https://github.com/timesler/facenet-pytorch/releases/download/v2.2.9/"
                "20180402-114759-vggface2.pt",
                cache="torch_home",
            )
        }),
        head="embedding",
        meta=ModelMeta(
            licence="MIT (facenet-pytorch); weights: David Sandberg's facenet (MIT), data VGGFace2",
            citation="Schroff et al. 2015, FaceNet, CVPR; Cao et al. 2018, VGGFace2, FG",
            description="InceptionResnetV1, 160x160 aligned face -> 512-d embedding; facenet-pytorch "
            "reports 99.65 % on LFW.",
            caveat="VGGFace2 (faces collected from the web) was released for research use; the "
            "threshold below was not calibrated on this machine (no weights offline).",
        ),
        options=MappingProxyType({
            "input_size": 160, "mean": (127.5 / 255,) * 3, "std": (128 / 255,) * 3,
            "embedding_dim": 512,
            # Not measured here (the weights cannot be downloaded on the build machine): a
            # conservative cosine value; run scripts/calibrate_faces.py --model facenet_vggface2.
            "threshold": 0.50,
        }),
    )
)
