"""A copy of an HDF5 file, edited in place and published atomically.

Shared by the experiment scripts that write a variant of an occ file (a
prediction with other flow, a flow file with other masks): the copy is made
as TARGET.part, opened read-write for the caller, and renamed to TARGET only
when the edit finished, so a failed edit never leaves a partial TARGET.
Python for experiments only, never at occ's run time.
"""
import contextlib
import os
import shutil

import h5py


@contextlib.contextmanager
def edited_copy(source, target):
    part = target + ".part"
    shutil.copyfile(source, part)
    try:
        with h5py.File(part, "r+") as copy:
            yield copy
        shutil.move(part, target)
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
