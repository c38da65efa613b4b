"""A chain of 3,000 nested folders in the work folder, some made unreadable, and a link to /.

Deeper than Python's recursion limit and than PATH_MAX: clean-up that recurses (os.walk,
shutil.rmtree) or uses whole paths fails on it.
"""

import os

DEPTH = int(os.environ.get("HOSTILE_DEPTH", "3000"))
os.symlink("/", "root-link")
for i in range(DEPTH):
    os.mkdir("d")
    os.chdir("d")
    if i % 500 == 250:
        with open("labels.txt", "w") as fh:
            fh.write("7 2 1 0 4\n")
for i in range(DEPTH):
    os.chdir("..")
    if i % 700 == 0:
        os.chmod("d", 0)  # the grader must get in anyway
print("made", DEPTH)
