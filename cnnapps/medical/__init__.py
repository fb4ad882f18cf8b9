"""Medical imaging: DICOM reading and display, and the chest X-ray classifier (issue 10)."""
