"""Reading pasted and uploaded text: every row and column kept, encodings and delimiters detected,
binary uploads raise InvalidText."""

import pytest

from cnnapps.errors import InvalidText
from cnnapps.text.data import read_mr
from cnnapps.text.io import decode_text, decode_text_report, read_lines, read_table, read_table_report


def test_read_lines_drops_blank_lines():
    assert read_lines("good film\n\n  bad film  \r\n") == ["good film", "bad film"]


def test_csv_with_header_and_sniffed_delimiter():
    frame, report = read_table_report(b"id;review\n1;a great film\n2;awful\n", name="x.csv")
    assert list(frame.columns) == ["id", "review"]
    assert frame["review"].tolist() == ["a great film", "awful"]
    assert report.header and report.delimiter == ";" and report.rows == 2 and report.encoding == "UTF-8"
    assert report.summary() == "UTF-8 · semicolon-separated · header row · 2 rows"


def test_txt_upload_is_one_column():
    frame = read_table("a gorgeous movie\nclichés galore\n".encode(), name="x.txt")
    assert frame["text"].tolist() == ["a gorgeous movie", "clichés galore"]


def test_cp1252_and_bom_are_decoded():
    assert decode_text("caf\u00e9".encode("cp1252")) == "café"
    assert decode_text(b"\xef\xbb\xbftext") == "text"


def test_headerless_one_column_csv_keeps_its_first_line():
    frame, report = read_table_report(b"a gorgeous movie\nawful\nfine, I guess\n", name="x.csv")
    assert frame["text"].tolist() == ["a gorgeous movie", "awful", "fine, I guess"]
    assert not report.header and report.rows == 3


def test_headerless_multi_column_csv_keeps_its_first_line():
    frame, report = read_table_report(b"1,a gorgeous movie,5\n2,awful,1\n", name="x.csv")
    assert not report.header and report.rows == 2
    assert list(frame.columns) == ["column 1", "column 2", "column 3"]
    assert frame["column 2"].tolist() == ["a gorgeous movie", "awful"]


def test_unquoted_commas_in_a_one_column_file_do_not_split_rows():
    data = b"text\ngreat film, loved it\nbad, boring, far too long\nfine\n"
    frame, report = read_table_report(data, name="x.csv")
    assert frame["text"].tolist() == ["great film, loved it", "bad, boring, far too long", "fine"]
    assert report.header and report.delimiter is None and report.rows == 3
    assert report.notes  # the page says the file was read one line per row


def test_quoted_one_column_csv_is_unquoted():
    frame = read_table(b'text\n"great, really"\n"bad"\n', name="x.csv")
    assert frame["text"].tolist() == ["great, really", "bad"]


def test_extra_commas_in_a_table_stay_in_the_text_column_and_are_reported():
    data = b"id,review,stars\n1,great film, loved it,5\n2,awful,1\n3,ok,3\n4,meh,2\n5,fine,4\n"
    frame, report = read_table_report(data, name="x.csv")
    assert list(frame.columns) == ["id", "review", "stars"]
    assert frame["review"].tolist()[0] == "great film, loved it"
    assert frame["stars"].tolist() == ["5", "1", "3", "2", "4"]
    assert report.rows == 5 and any("more fields" in n for n in report.notes)


def test_cp1252_file_keeps_every_row():
    text = "review\n“Brilliant” – a must\nclichés… galore\nnaïve but sweet\n"
    frame, report = read_table_report(text.encode("cp1252"), name="x.csv")
    assert frame["review"].tolist() == ["“Brilliant” – a must", "clichés… galore", "naïve but sweet"]
    assert report.encoding.startswith("cp1252") and report.rows == 3


@pytest.mark.parametrize("codec, label", [("utf-16", "UTF-16 LE (BOM)"), ("utf-8-sig", "UTF-8 with BOM")])
def test_bom_files_are_text(codec, label):
    data = "id,text,stars\n1,très bien,5\n2,awful,1\n".encode(codec)
    frame, report = read_table_report(data, name="x.csv")
    assert report.encoding == label and report.header and report.rows == 2
    assert frame.to_dict("list") == {"id": ["1", "2"], "text": ["très bien", "awful"], "stars": ["5", "1"]}


def test_utf16_big_endian_bom():
    text, encoding = decode_text_report("caf\u00e9\n".encode("utf-16-be").join([b"\xfe\xff", b""]))
    assert text == "café\n" and encoding == "UTF-16 BE (BOM)"


def test_header_can_be_forced():
    frame, report = read_table_report(b"great\nbad\n", name="x.csv", header=True)
    assert list(frame.columns) == ["great"] and frame["great"].tolist() == ["bad"] and report.header
    frame = read_table(b"text\nbad\n", name="x.csv", header=False)
    assert frame["text"].tolist() == ["text", "bad"]


def test_blank_lines_are_counted_not_rows():
    frame, report = read_table_report(b"id,text\n1,a\n\n2,b\n", name="x.csv")
    assert report.rows == 2 and report.blank_lines == 1 and "1 blank line skipped" in report.summary()


def test_duplicate_and_empty_header_names_are_made_unique():
    frame = read_table(b"text,text,\nstars,a,b\nc,d,e\n", name="x.csv")
    assert list(frame.columns) == ["text", "text.1", "column 3"]


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
