"""Reading pasted and uploaded text; binary uploads raise InvalidText."""

import pytest

from cnnapps.errors import InvalidText
from cnnapps.text.data import read_mr
from cnnapps.text.io import decode_text, read_lines, read_table


def test_read_lines_drops_blank_lines():
    assert read_lines("good film\n\n  bad film  \r\n") == ["good film", "bad film"]


def test_csv_with_header_and_sniffed_delimiter():
    frame = read_table(b"id;review\n1;a great film\n2;awful\n", name="x.csv")
    assert list(frame.columns) == ["id", "review"]
    assert frame["review"].tolist() == ["a great film", "awful"]


def test_txt_upload_is_one_column():
    frame = read_table("a gorgeous movie\nclichés galore\n".encode(), name="x.txt")
    assert frame["text"].tolist() == ["a gorgeous movie", "clichés galore"]


def test_cp1252_and_bom_are_decoded():
    assert decode_text("caf\u00e9".encode("cp1252")) == "café"
    assert decode_text(b"\xef\xbb\xbftext") == "text"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        bytes(range(1, 32)) * 50,
        b"PK\x03\x04" + b"\x00" * 100,
    ],
)
def test_binary_upload_raises_invalid_text(data):
    with pytest.raises(InvalidText, match="binary|neither"):
        read_table(data, name="photo.csv")


def test_empty_upload_raises_invalid_text():
    with pytest.raises(InvalidText, match="empty"):
        read_table(b"  \n", name="empty.csv")


def test_mr_reader_splits_on_newline_bytes_only(tmp_path):
    # \x85 is "…" in cp1252 and NEL for str.splitlines(): it must not split a line.
    (tmp_path / "rt-polarity.pos").write_bytes(b"good \x85 really good\nfine\n")
    (tmp_path / "rt-polarity.neg").write_bytes(b"bad\n")
    data = read_mr(tmp_path)
    assert len(data) == 3 and data.labels == [1, 1, 0]
    assert data.tokens[0] == ["good", "really", "good"]
