#!/usr/bin/python3
"""Reference data for the ResNet parity test (tests/nn/resnet_test.cpp).

Builds torchvision's ResNet (random init from a fixed seed, eval mode), gives
its batch-norm layers non-trivial affine parameters and running statistics (the
defaults 1/0/0/1 would hide a BN that is skipped or loaded into the wrong
slot), and writes for each depth D into --out:
  resnetD.pt        torch.save(model.state_dict()), exactly what users load
  resnetD_io.pt     {"input": [1,3,H,W], "layer1".."layer4": stage outputs}
  resnetD_names.txt the state dict keys, one a line
With --pickle-cases, also the reader's edge cases:
  single.pt  a one-entry state dict (pickled with SETITEM, not SETITEMS)
  views.pt   views sharing one storage, float64/float16/int64 tensors
  object.pt  a state dict holding a Python object, which must be refused
"""
import argparse
import collections
import os

import torch
import torchvision


def randomise_batch_norm(model, generator):
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            n = module.num_features
            with torch.no_grad():
                module.weight.copy_(0.5 + torch.rand(n, generator=generator))
                module.bias.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(n, generator=generator))
                module.num_batches_tracked.fill_(7)


def stage_outputs(model, images):
    x = model.maxpool(model.relu(model.bn1(model.conv1(images))))
    outputs = {}
    for name in ("layer1", "layer2", "layer3", "layer4"):
        x = getattr(model, name)(x)
        outputs[name] = x
    return outputs


def write_pickle_cases(out):
    torch.save(torch.nn.Linear(2, 3, bias=False).state_dict(), os.path.join(out, "single.pt"))
    base = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    views = collections.OrderedDict(
        [("base", base), ("column", base[:, 1]), ("half", base.half()[1:]),
         ("count", torch.tensor(-5, dtype=torch.int64))])
    torch.save(views, os.path.join(out, "views.pt"))
    torch.save({"weight": torch.ones(2), "args": argparse.Namespace(lr=0.1)},
               os.path.join(out, "object.pt"))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--depths", type=int, nargs="*", default=[18, 50])
    parser.add_argument("--height", type=int, default=64)
    parser.add_argument("--width", type=int, default=96)
    parser.add_argument("--pickle-cases", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.pickle_cases:
        write_pickle_cases(args.out)
    for depth in args.depths:
        torch.manual_seed(depth)
        generator = torch.Generator().manual_seed(1000 + depth)
        model = getattr(torchvision.models, f"resnet{depth}")(weights=None)
        randomise_batch_norm(model, generator)
        model.eval()
        images = torch.randn(1, 3, args.height, args.width, generator=generator)
        with torch.no_grad():
            outputs = stage_outputs(model, images)
        torch.save(model.state_dict(), os.path.join(args.out, f"resnet{depth}.pt"))
        torch.save({"input": images, **outputs}, os.path.join(args.out, f"resnet{depth}_io.pt"))
        with open(os.path.join(args.out, f"resnet{depth}_names.txt"), "w") as names:
            names.write("".join(f"{key}\n" for key in model.state_dict().keys()))


if __name__ == "__main__":
    main()
