#!/usr/bin/python3
"""Python torch reads what `occ export --format torch` writes of a model that
`occ train` trained, and torchvision's ResNet, given the exported backbone
weights, computes the same features as occ's own backbone on the same image.

1. occ prep synth + occ train (a tiny demo model, a few steps, batch-norm
   statistics updated) -> model.h5; occ export -f torch -> model.pt.
2. torch.load (with and without weights_only) gives every weight of the
   model file (/weights/<module>/<name> in model.h5, read with h5py), bit for
   bit, with its dtype and shape; so does safetensors.torch.load_file of
   `occ export -f safetensors` of the same model.
3. torchvision.models.resnet<depth> (with --backbone convnext_tiny:
   torchvision.models.convnext_tiny, the model trained with
   model.backbone=convnext_tiny) loads the "backbone." entries (only its
   classifier, fc.* or classifier.*, is missing); in eval mode it runs on a
   real nuScenes camera image (fixtures/nuscenes_mmdet3d), resized and
   normalised here, and each stage output occ's backbone returns for that
   same input (tests/tools/backbone_features) matches torchvision's.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

TINY = ['--size', 'demo', '-q', '-j', '1', '--set', 'model.embed_dims=16', '--set', 'model.num_heads=2',
        '--set', 'model.num_points=2', '--set', 'model.ffn_dims=32', '--set', 'model.decoder_channels=[16,16]',
        '--set', 'model.classifier_hidden=16', '--set', 'train.schedule.warmup_steps=0',
        '--set', 'train.optimizer.lr=0.005', '--set', 'train.steps=3',
        # every ResNet stage runs, so each is compared
        '--set', 'model.backbone_out_indices=[0,1,2,3]', '--set', 'model.num_levels=4']
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
# torchvision's block counts per depth (BasicBlock for 18/34, Bottleneck above).
BLOCKS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3]}


def check(condition, message):
    if not condition:
        sys.exit(f'FAIL {message}')


def run(argv):
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"FAIL {' '.join(argv)}: exit {result.returncode}\n{result.stderr}")
    return result


def model_file_weights(path):
    """Every tensor under /weights of an occ model file, by its dotted module path."""
    import h5py
    weights = {}
    with h5py.File(path, 'r') as f:
        config = json.loads(f.attrs['config'])
        def visit(name, item):
            if isinstance(item, h5py.Dataset):
                weights[name.replace('/', '.')] = item[()]
        f['weights'].visititems(visit)
    return weights, config


def check_torch_load(path, weights):
    import torch
    for weights_only in (True, False):
        state = torch.load(path, weights_only=weights_only) if weights_only else torch.load(path)
        check(sorted(state) == sorted(weights), f'weights_only={weights_only}: keys differ: '
              f'{sorted(set(state) ^ set(weights))[:8]}')
        for name, expected in weights.items():
            tensor = state[name]
            check(isinstance(tensor, torch.Tensor) and not tensor.requires_grad, f'{name}: a plain tensor')
            value = tensor.numpy()
            check(value.dtype == expected.dtype and value.shape == np.shape(expected), f'{name}: '
                  f'{value.dtype} {value.shape} != {expected.dtype} {np.shape(expected)}')
            check(np.array_equal(value, expected, equal_nan=True), f'{name}: values differ')
    return torch.load(path, weights_only=True)


def load_image(folder, height, width):
    """The fixture's camera image, resized (bilinear) and ImageNet-normalised: [1, 3, H, W] float32."""
    from PIL import Image
    path = sorted(glob.glob(os.path.join(folder, 'samples', 'CAM_*', '*.jpg')))[0]
    image = Image.open(path).convert('RGB').resize((width, height), Image.BILINEAR)
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    pixels = (pixels - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None].astype(np.float32))


def torchvision_stages(state, depth, image):
    import torch
    import torchvision
    model = getattr(torchvision.models, f'resnet{depth}')()
    backbone = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    missing, unexpected = model.load_state_dict(backbone, strict=False)
    check(sorted(missing) == ['fc.bias', 'fc.weight'] and not unexpected,
          f'torchvision resnet{depth}: missing {missing}, unexpected {unexpected}')
    check([len(getattr(model, f'layer{i}')) for i in range(1, 5)] == BLOCKS[depth], 'block counts')
    model.eval()
    with torch.no_grad():
        x = torch.from_numpy(image)
        x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        stages = []
        for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
            x = layer(x)
            stages.append(x.numpy())
    return stages


def torchvision_convnext_stages(state, name, image):
    import torch
    import torchvision
    model = getattr(torchvision.models, name)()
    backbone = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    missing, unexpected = model.load_state_dict(backbone, strict=False)
    check(sorted(missing) == ['classifier.0.bias', 'classifier.0.weight', 'classifier.2.bias',
                              'classifier.2.weight'] and not unexpected,
          f'torchvision {name}: missing {missing}, unexpected {unexpected}')
    model.eval()
    with torch.no_grad():
        x = torch.from_numpy(image)
        stages = []
        for index, layer in enumerate(model.features):
            x = layer(x)
            if index % 2 == 1:
                stages.append(x.numpy())
    return stages


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--occ', required=True)
    parser.add_argument('--features', required=True, help='tests/tools/backbone_features')
    parser.add_argument('--image', required=True, help='folder with samples/CAM_*/*.jpg')
    parser.add_argument('--backbone', default='resnet', choices=['resnet', 'convnext_tiny'],
                        help='model.backbone of the trained model')
    args = parser.parse_args()
    train_settings = TINY + ['--set', f'model.backbone={args.backbone}']
    with tempfile.TemporaryDirectory() as folder:
        def at(name):
            return os.path.join(folder, name)
        run([args.occ, 'prep', 'synth', '-q', '-o', at('world.h5'), '--scenes', '1', '--frames-per-scene', '4',
             '--image-size', '32x56', '--grid', '20,20,4,4.0,-40,-40,-1'])
        run([args.occ, 'train', '--frames', at('world.h5'), '-o', at('model.h5'), *train_settings])
        run([args.occ, 'export', '-q', at('model.h5'), '-f', 'torch', '-o', at('model.pt')])
        weights, config = model_file_weights(at('model.h5'))
        check(any(k.startswith('backbone.') for k in weights), 'the model has an image backbone')
        state = check_torch_load(at('model.pt'), weights)
        run([args.occ, 'export', '-q', at('model.h5'), '-f', 'safetensors', '-o', at('model.safetensors')])
        from safetensors.torch import load_file
        loaded = load_file(at('model.safetensors'))
        check(sorted(loaded) == sorted(weights), 'safetensors: names')
        for name, expected in weights.items():
            value = loaded[name].numpy()
            check(value.dtype == expected.dtype and np.array_equal(value, expected), f'safetensors: {name}')
        model_config = config.get('model', config)
        check(model_config['backbone'] == args.backbone, f"model.backbone {model_config['backbone']}")
        depth = int(model_config['backbone_depth'])
        name = f'resnet{depth}' if args.backbone == 'resnet' else args.backbone

        height, width = 128, 224
        image = load_image(args.image, height, width)
        image.tofile(at('image.f32'))
        os.mkdir(at('features'))
        run([args.features, at('model.h5'), at('image.f32'), str(height), str(width), at('features')])
        if args.backbone == 'resnet':
            expected = torchvision_stages(state, depth, image)
        else:
            expected = torchvision_convnext_stages(state, args.backbone, image)
        with open(at('features/stages.txt')) as f:
            listed = [tuple(int(v) for v in line.split()) for line in f if line.strip()]
        check([i for i, *_ in listed] == sorted(int(i) for i in model_config['backbone_out_indices']),
              f'stages {listed} != backbone_out_indices {model_config["backbone_out_indices"]}')
        report = []
        for index, channels, h, w in listed:
            ours = np.fromfile(at(f'features/stage{index}.f32'), dtype=np.float32).reshape(1, channels, h, w)
            theirs = expected[index]
            check(ours.shape == theirs.shape, f'stage {index}: occ {ours.shape} != torchvision {theirs.shape}')
            scale = float(np.abs(theirs).max())
            error = float(np.abs(ours - theirs).max())
            check(scale > 0 and error <= 1e-4 * scale + 1e-5,
                  f'stage {index}: max |occ - torchvision| = {error} (max |torchvision| = {scale})')
            report.append(f'stage{index} {ours.shape[1:]} max err {error:.2e} of {scale:.2f}')
    print(f'torch interop: {name}, {len(weights)} tensors; ' + '; '.join(report))


if __name__ == '__main__':
    main()
