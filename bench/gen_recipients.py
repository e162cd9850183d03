#!/usr/bin/env python3
"""Write a large fictitious recipient list for timing `sms-bcast recipients check`.

Usage: bench/gen_recipients.py ROWS OUT.csv
Numbers are +62812xxxxxxxx in mixed written forms; every 10,000th row is a
planted bad row (scientific notation), every 1,000th a duplicate.
"""
import sys

PROVINCES = ["Jawa Barat", "Jawa Tengah", "Jawa Timur", "Banten", "DKI Jakarta",
             "Sumatera Utara", "Sulawesi Selatan", "Bali"]
FORMS = ["0{}", "62{}", "+62 {}", "{}"]


def main() -> None:
    rows, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("nama,no_hp,provinsi,kabupaten\r\n")
        for i in range(1, rows + 1):
            if i % 10_000 == 0:
                phone = "6.28120E+12"
            else:
                n = i - 1 if i % 1_000 == 0 else i
                phone = FORMS[i % len(FORMS)].format(f"812{n:08d}")
            f.write(f"Penerima {i},{phone},{PROVINCES[i % len(PROVINCES)]},\"Kab. {i % 500}, Blok {i % 7}\"\r\n")


if __name__ == "__main__":
    main()
