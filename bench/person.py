"""Accuracy of the person models on the six real VITON-HD sample persons, against the dataset's own files.

For a pose model: keypoint PCK@0.1 (a joint is right when within 0.1 of the person's size, the longer side of
the box of the dataset's keypoints), the IoU of the grey mask drawn with its keypoints against the one drawn with
the dataset's (both on the dataset's parse), and the share of pixels of `parse_agnostic` that change when its
keypoints replace the dataset's. For the default parser (SCHP), also the per-class IoU of the parse map it makes.

    python bench/person.py --pose mediapipe     # offline: MediaPipe's model ships in its wheel (0.10.21)
    python bench/person.py --pose dwpose        # DWPose + SCHP, downloaded through the manifest (e.g. on Colab)

It prints the size and SHA-256 of every model file it used, so that the manifest can pin them.
"""
import argparse, hashlib, json, os
from pathlib import Path

import numpy as np

from vtonlib.core import read_image
from vtonlib.data import local_path
from vtonlib.preprocess import grey_mask, parse_agnostic, person_paths, read_parse
from vtonlib.person import PERSON_WEIGHTS, MediaPipePose, complete_body, default_models, viton_labels

IDS = ['00891_00', '03615_00', '07445_00', '07573_00', '08909_00', '10549_00']
GROUPS = {'neck + arms (1-7)': [1, 2, 3, 4, 5, 6, 7], 'hips (8, 9, 12)': [8, 9, 12], 'head (0, 15-18)': [0, 15, 16, 17, 18]}
CLASSES = {'hair': [1, 2], 'face': [4, 13], 'upper': [5, 6, 7], 'bottom': [9, 12], 'neck': [10], 'left arm': [14], 'right arm': [15]}

def iou(a, b): return (a & b).sum() / max((a | b).sum(), 1)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pose', choices=('mediapipe', 'dwpose'), default='mediapipe')
    ap.add_argument('--samples', default=os.environ.get('VTON_SAMPLES', '../shared/samples/viton-hd'))
    a = ap.parse_args()
    data = Path(a.samples) / 'test'
    if a.pose == 'mediapipe': pose, parser, files = MediaPipePose(), None, []
    else:
        pose, parser = default_models(download=True)
        files = [local_path(n) for names in PERSON_WEIGHTS.values() for n in names]
    hits, grey, changed, classes = {g: [] for g in GROUPS}, [], [], {c: [] for c in CLASSES}
    for stem in IDS:
        paths = person_paths(data, f'{stem}.jpg')
        photo, parse = read_image(paths['image']), read_parse(paths['parse'])
        person = json.loads(paths['keypoints'].read_text())['people'][0]
        truth = np.reshape(person['pose_keypoints_2d'], (25, 3))
        found = pose(photo)
        ours = complete_body(found[0]['body']) if found else np.zeros((25, 3))
        seen = truth[truth[:, 2] > 0, :2]
        size = (seen.max(0) - seen.min(0)).max()
        for g, joints in GROUPS.items():
            for j in joints:
                if truth[j, 2] > 0: hits[g].append(ours[j, 2] > 0 and np.hypot(*(ours[j, :2] - truth[j, :2])) <= 0.1 * size)
        if found:
            grey.append(iou(grey_mask(parse, ours), grey_mask(parse, truth)))
            changed.append((np.asarray(parse_agnostic(parse, ours)) != np.asarray(parse_agnostic(parse, truth))).mean())
        if parser is not None and found:
            made = viton_labels(*parser(photo), ours)
            for c, labels in CLASSES.items():
                if np.isin(parse, labels).any(): classes[c].append(iou(np.isin(made, labels), np.isin(np.asarray(parse), labels)))
        print(f'{stem}: {"found" if found else "no person found"}')
    print(f'\npose model: {a.pose}, on {len(IDS)} persons')
    for g, h in hits.items(): print(f'  PCK@0.1 {g}: {np.mean(h):.2f} ({sum(h)}/{len(h)} joints)')
    if grey: print(f'  grey-mask IoU: mean {np.mean(grey):.3f}, min {np.min(grey):.3f}')
    if changed: print(f'  parse_agnostic pixels changed: mean {np.mean(changed):.2%}, max {np.max(changed):.2%}')
    for c, v in classes.items():
        if v: print(f'  parse IoU {c}: mean {np.mean(v):.3f}, min {np.min(v):.3f}')
    for f in files:
        print(f'  {f.name}: {f.stat().st_size} bytes, sha256 {hashlib.sha256(f.read_bytes()).hexdigest()}')

if __name__ == '__main__': main()
