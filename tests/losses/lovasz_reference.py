#!/usr/bin/env python3
"""Reference Lovasz-softmax for tests/losses/lovasz_softmax_test.cpp.

A plain per-class port of the formula of Berman et al., CVPR 2018 (the
authors' lovasz_softmax_flat with classes='present', per_image=False): one
sort per class, no batching of classes, so it checks the stacked-class C++
version independently. Writes, with torch.save, for each case: the inputs
(probabilities, target, mask, ignore_index), the loss, and the gradient of the
loss with respect to the probabilities.
"""
import argparse
import os

import torch


def lovasz_grad(fg_sorted):
    gts = fg_sorted.sum()
    intersection = gts - fg_sorted.cumsum(0)
    union = gts + (1.0 - fg_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    if len(fg_sorted) > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1].clone()
    return jaccard


def lovasz_softmax(probabilities, target, ignore_index, mask):
    num_classes = probabilities.shape[1]
    flat = probabilities.movedim(1, -1).reshape(-1, num_classes)
    labels = target.reshape(-1)
    keep = (labels != ignore_index) & (mask.reshape(-1) != 0)
    flat, labels = flat[keep], labels[keep]
    losses = []
    for c in range(num_classes):
        fg = (labels == c).to(flat.dtype)
        if fg.sum() == 0:
            continue
        errors = (fg - flat[:, c]).abs()
        errors_sorted, perm = torch.sort(errors, 0, descending=True)
        losses.append(torch.dot(errors_sorted, lovasz_grad(fg[perm]).detach()))
    if not losses:
        return probabilities.sum() * 0.0
    return torch.stack(losses).mean()


def make_case(generator, shape, num_classes, ignore_index, mask_fraction, dtype):
    batch, spatial = shape[0], shape[1:]
    logits = torch.randn((batch, num_classes) + spatial, generator=generator, dtype=torch.float64)
    probabilities = logits.softmax(1).to(dtype).requires_grad_(True)
    target = torch.randint(0, num_classes, (batch,) + spatial, generator=generator)
    mask = (torch.rand((batch,) + spatial, generator=generator) >= mask_fraction).to(torch.float32)
    loss = lovasz_softmax(probabilities, target, ignore_index, mask)
    loss.backward()
    return {
        "probabilities": probabilities.detach(),
        "target": target,
        "mask": mask,
        "ignore_index": torch.tensor(ignore_index),
        "loss": loss.detach(),
        "grad": probabilities.grad,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    generator = torch.Generator().manual_seed(20180618)
    cases = {
        # Occ3D-like: free class ignored, a visibility mask, batch of 2.
        "occ3d": make_case(generator, (2, 6, 5, 3), 18, 17, 0.3, torch.float64),
        # Few voxels, so some classes are absent ('present' matters).
        "sparse": make_case(generator, (1, 7), 6, -1, 0.0, torch.float64),
        # float32 inputs as the models produce them.
        "float32": make_case(generator, (2, 8, 8, 2), 5, 0, 0.5, torch.float32),
    }
    entries = {}
    for name, case in cases.items():
        for key, value in case.items():
            entries[name + "." + key] = value
    torch.save(entries, os.path.join(args.out, "lovasz_reference.pt"))


if __name__ == "__main__":
    main()
