#!/usr/bin/env python3
"""Write a large fictitious recipient list for timing `sms-bcast recipients check`.

Usage: bench/gen_recipients.py ROWS OUT.csv [--bad PCT --dup PCT]
Numbers are +62812xxxxxxxx in mixed written forms. By default every 10,000th
row is a planted bad row (scientific notation) and every 1,000th a duplicate.
With --bad/--dup (whole percents), that share of rows is bad (several kinds of
bad number) or repeats an earlier number written another way.
"""
import sys

PROVINCES = ["Jawa Barat", "Jawa Tengah", "Jawa Timur", "Banten", "DKI Jakarta",
             "Sumatera Utara", "Sulawesi Selatan", "Bali"]
FORMS = ["0{}", "62{}", "+62 {}", "{}"]
BAD = ["6.28120E+12", "0812-ABC-{n}", "08123", "", "+62 812", "0812{n}{n}"]


def written(form: int, n: int) -> str:
    digits = f"812{n:08d}"
    if form == 4:
        return f"+62-{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if form == 5:
        return f"(0{digits[:3]}) {digits[3:7]} {digits[7:]}"
    return FORMS[form].format(digits)


def phone_of(i: int, bad: int, dup: int) -> str:
    if not bad and not dup:
        if i % 10_000 == 0:
            return "6.28120E+12"
        n = i - 1 if i % 1_000 == 0 else i
        return FORMS[i % len(FORMS)].format(f"812{n:08d}")
    slot = i % 100
    if slot < bad:
        return BAD[(i // 100) % len(BAD)].format(n=i % 10_000)
    if slot < bad + dup and i > 100:
        return written((i + 1) % 6, i - 50)
    return written(i % 6, i)


def main() -> None:
    args = sys.argv[1:]
    bad = dup = 0
    if "--bad" in args:
        bad = int(args[args.index("--bad") + 1])
    if "--dup" in args:
        dup = int(args[args.index("--dup") + 1])
    rows, out = int(args[0]), args[1]
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("nama,no_hp,provinsi,kabupaten\r\n")
        for i in range(1, rows + 1):
            phone = phone_of(i, bad, dup)
            f.write(f"Penerima {i},{phone},{PROVINCES[i % len(PROVINCES)]},\"Kab. {i % 500}, Blok {i % 7}\"\r\n")


if __name__ == "__main__":
    main()
