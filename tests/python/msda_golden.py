#!/usr/bin/env python3
# Prints the golden values of DeformableAttention.MatchesPythonGridSampleFallback
# (tests/nn/deformable_attention_test.cpp); not run by ctest. Run: /usr/bin/python3 tests/python/msda_golden.py
# Independent Python statement of the mmcv/Deformable-DETR fallback semantics,
# on inputs defined by formulas so the C++ test can rebuild them exactly.
import torch, torch.nn.functional as F
torch.set_printoptions(precision=12)
shapes = [(3, 4), (2, 2), (1, 3)]
B, Q, M, D, P = 2, 3, 2, 2, 2
L = len(shapes); S = sum(h * w for h, w in shapes)
def idx(n): return torch.arange(n, dtype=torch.float64)
value = torch.sin(0.37 * idx(B*S*M*D)).view(B, S, M, D)
loc = (torch.frac(0.618 * idx(B*Q*M*L*P*2)) * 1.4 - 0.2).view(B, Q, M, L, P, 2)
w = (torch.cos(0.11 * idx(B*Q*M*L*P)) ** 2).view(B, Q, M, L, P)
out = torch.zeros(B, Q, M, D, dtype=torch.float64)
start = 0
for l, (h, wd) in enumerate(shapes):
    v = value[:, start:start + h * wd]  # B, hw, M, D
    start += h * wd
    img = v.permute(0, 2, 3, 1).reshape(B * M, D, h, wd)
    grid = (2 * loc[:, :, :, l] - 1).permute(0, 2, 1, 3, 4).reshape(B * M, Q, P, 2)
    s = F.grid_sample(img, grid, mode='bilinear', padding_mode='zeros', align_corners=False)  # BM, D, Q, P
    s = s.view(B, M, D, Q, P).permute(0, 3, 1, 4, 2)  # B, Q, M, P, D
    out += (s * w[:, :, :, l, :, None]).sum(3)
print(out.reshape(B, Q, M * D).flatten().tolist())
