#!/usr/bin/env python3
"""Writes aclImdb_sample/: a small balanced sample of the IMDB reviews, for tests and demos.

Reads the full archive (aclImdb_v1.tar.gz or a copy of it, e.g. aclImdb_v1_labeled.tar.gz
without the unlabeled reviews) and writes, next to this script,

    aclImdb_sample/{train,test}/{pos,neg}/ID_RATING.txt

with PER_CLASS reviews per split and class, the same bytes and names as in the archive.
The choice is deterministic: in each folder the file names are sorted, then
random.Random(f"{SEED}/{split}/{label}").sample(names, PER_CLASS) picks them.

    python3 data/corpora/make_imdb_sample.py /path/to/aclImdb_v1.tar.gz

Standard library only. The archive itself never goes into the repository.
"""

import argparse
import os
import random
import shutil
import sys
import tarfile

SEED = 20110619  # ACL 2011, where the dataset was published
PER_CLASS = 200
SPLITS = ("train", "test")
LABELS = ("pos", "neg")


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", nargs="?", default="/work/shared/data/aclImdb_v1_labeled.tar.gz")
    parser.add_argument("--out", default=os.path.join(here, "aclImdb_sample"))
    args = parser.parse_args()

    # Two streaming passes ("r|gz"): the names first, then the chosen files. Random access
    # into a .tar.gz would decompress it again for every file.
    def reviews(tar):
        for m in tar:
            parts = m.name.split("/")
            if m.isfile() and len(parts) == 4 and parts[0] == "aclImdb" and (parts[1], parts[2]) in folders:
                yield m, (parts[1], parts[2]), parts[3]

    folders = {(s, l): [] for s in SPLITS for l in LABELS}
    with tarfile.open(args.archive, "r|gz") as tar:
        for _, folder, name in reviews(tar):
            folders[folder].append(name)
    chosen = {}
    for (split, label), names in folders.items():
        if len(names) < PER_CLASS:
            sys.exit(f"{args.archive}: {split}/{label} has {len(names)} reviews, need {PER_CLASS}")
        rng = random.Random(f"{SEED}/{split}/{label}")
        chosen[(split, label)] = set(rng.sample(sorted(names), PER_CLASS))

    if os.path.isdir(args.out):
        shutil.rmtree(args.out)  # stale files from another seed would break the balance
    for split, label in folders:
        os.makedirs(os.path.join(args.out, split, label))
    total = written = 0
    with tarfile.open(args.archive, "r|gz") as tar:
        for m, folder, name in reviews(tar):
            if name in chosen[folder]:
                data = tar.extractfile(m).read()
                with open(os.path.join(args.out, *folder, name), "wb") as f:
                    f.write(data)
                total += len(data)
                written += 1
    print(f"wrote {written} reviews, {total} bytes, to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
