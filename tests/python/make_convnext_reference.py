#!/usr/bin/python3
"""Reference data for the ConvNeXt parity test (tests/nn/convnext_test.cpp).

Builds torchvision's convnext_tiny (random init from a fixed seed, eval mode),
gives every LayerNorm non-trivial affine parameters, every conv and linear a
non-zero bias and every block a layer scale of order 1 (torchvision's 1e-6
would hide a residual branch that is computed wrongly or skipped), and writes
into --out:
  convnext_tiny.pt           torch.save(model.state_dict()), what users load
  convnext_tiny_official.pt  the same weights in the original layout
                             (facebookresearch/ConvNeXt names: downsample_layers,
                             stages.i.j.{dwconv,norm,pwconv1,pwconv2,gamma};
                             SparK's "official style"), under "backbone." with
                             a classifier norm./head. and a neck entry, as a
                             detector checkpoint holds it
  convnext_tiny_io.pt        {"input": [1,3,H,W], "stage0".."stage3": outputs}
  convnext_tiny_names.txt    the state dict keys, one a line
With --counts instead, only
  convnext_params.txt        "<size> <parameters without the classifier>" for
                             tiny, small and base
"""
import argparse
import collections
import os

import torch
import torchvision


def randomise(model, generator):
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            n = parameter.numel()
            if name.endswith('layer_scale'):
                parameter.copy_((0.5 + torch.rand(n, generator=generator)).reshape(parameter.shape))
            elif name.endswith('bias'):
                parameter.copy_(0.1 * torch.randn(n, generator=generator).reshape(parameter.shape))
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                n = module.weight.numel()
                module.weight.copy_(0.5 + torch.rand(n, generator=generator))


def stage_outputs(model, images):
    outputs = {}
    x = images
    for index, layer in enumerate(model.features):
        x = layer(x)
        if index % 2 == 1:
            outputs[f'stage{index // 2}'] = x
    return outputs


def official_layout(state):
    """torchvision names -> the original ConvNeXt names (the inverse of occ's renaming)."""
    renamed = collections.OrderedDict()
    parts = {'0': 'dwconv', '2': 'norm', '3': 'pwconv1', '5': 'pwconv2'}
    for name, tensor in state.items():
        fields = name.split('.')
        if fields[0] == 'classifier':
            continue
        feature = int(fields[1])
        if feature == 0:
            renamed['downsample_layers.0.' + '.'.join(fields[2:])] = tensor
        elif feature % 2 == 0:
            renamed[f'downsample_layers.{feature // 2}.' + '.'.join(fields[2:])] = tensor
        else:
            prefix = f'stages.{feature // 2}.{fields[2]}.'
            if fields[3] == 'layer_scale':
                renamed[prefix + 'gamma'] = tensor.reshape(-1)
            else:
                renamed[prefix + parts[fields[4]] + '.' + fields[5]] = tensor
    renamed['norm.weight'] = torch.ones(768)
    renamed['norm.bias'] = torch.zeros(768)
    renamed['head.weight'] = torch.zeros(1000, 768)
    renamed['head.bias'] = torch.zeros(1000)
    return renamed


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', required=True)
    parser.add_argument('--height', type=int, default=64)
    parser.add_argument('--width', type=int, default=96)
    parser.add_argument('--counts', action='store_true', help='write only convnext_params.txt')
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.counts:
        with open(os.path.join(args.out, 'convnext_params.txt'), 'w') as counts:
            for size in ('tiny', 'small', 'base'):
                built = getattr(torchvision.models, f'convnext_{size}')(weights=None)
                count = sum(p.numel() for n, p in built.named_parameters() if not n.startswith('classifier.'))
                counts.write(f'{size} {count}\n')
        return
    torch.manual_seed(7)
    generator = torch.Generator().manual_seed(1007)
    model = torchvision.models.convnext_tiny(weights=None)
    randomise(model, generator)
    model.eval()
    images = torch.randn(1, 3, args.height, args.width, generator=generator)
    with torch.no_grad():
        outputs = stage_outputs(model, images)
    state = model.state_dict()
    torch.save(state, os.path.join(args.out, 'convnext_tiny.pt'))
    detector = collections.OrderedDict(('backbone.' + k, v) for k, v in official_layout(state).items())
    detector['neck.lateral_convs.0.conv.weight'] = torch.zeros(8, 96, 1, 1)
    torch.save({'state_dict': detector}, os.path.join(args.out, 'convnext_tiny_official.pt'))
    torch.save({'input': images, **outputs}, os.path.join(args.out, 'convnext_tiny_io.pt'))
    with open(os.path.join(args.out, 'convnext_tiny_names.txt'), 'w') as names:
        names.write(''.join(f'{key}\n' for key in state.keys()))


if __name__ == '__main__':
    main()
