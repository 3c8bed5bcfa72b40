"""autodiff.vision: transforms (on PIL and tensor images), ImageFolder, make_grid/save_image.
torchvision is not a dependency, so expected values are computed by hand here."""
import numpy as np
import pytest
from PIL import Image

import autodiff
from autodiff.utils.data import DataLoader
from autodiff.vision import datasets, transforms as T, utils
from autodiff.vision.transforms import functional as F


@pytest.fixture
def rgb():
    """A 4x6 RGB test image with distinct pixel values, as (PIL image, HWC uint8 array)."""
    arr = ((np.arange(4 * 6 * 3) * 7) % 256).astype(np.uint8).reshape(4, 6, 3)
    return Image.fromarray(arr), arr


def chw(arr):
    return arr.transpose(2, 0, 1)


# ---- conversions --------------------------------------------------------------------------------
def test_to_tensor(rgb):
    img, arr = rgb
    t = T.ToTensor()(img)
    assert t.shape == (3, 4, 6) and t.dtype == autodiff.float32
    np.testing.assert_array_equal(t.numpy(), chw(arr).astype(np.float32) / np.float32(255))
    gray = T.ToTensor()(np.full((2, 3), 51, np.uint8))
    assert gray.shape == (1, 2, 3) and np.allclose(gray.numpy(), 0.2)
    floats = T.ToTensor()(np.full((2, 3, 1), 7.5))           # not uint8: values kept
    assert floats.dtype == autodiff.float64 and floats.numpy().max() == 7.5
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()([1, 2])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        T.ToTensor()(np.zeros(3, np.uint8))


def test_pil_to_tensor_and_back(rgb):
    img, arr = rgb
    t = T.PILToTensor()(img)
    assert t.dtype == autodiff.uint8 and (t.numpy() == chw(arr)).all()
    back = T.ToPILImage()(t)
    assert back.mode == "RGB" and (np.array(back) == arr).all()
    half = T.ToPILImage()(autodiff.full((1, 2, 2), 0.5))
    assert half.mode == "L" and (np.array(half) == 127).all()     # 127.5 truncated, as torch
    assert T.ToPILImage()(autodiff.zeros(4, 2, 2)).mode == "RGBA"
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        T.ToPILImage()(autodiff.zeros(5, 2, 2))


def test_normalize():
    x = autodiff.arange(12.).view(3, 2, 2) / 10
    out = T.Normalize((0.1, 0.2, 0.3), (0.5, 1.0, 2.0))(x)
    expected = (x.numpy() - np.float32([0.1, 0.2, 0.3])[:, None, None]) / \
        np.float32([0.5, 1.0, 2.0])[:, None, None]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert (x.numpy().ravel()[:3] == np.float32([0, 0.1, 0.2])).all()    # input untouched
    same = T.Normalize([0.5], [0.5], inplace=True)(x)
    assert same is x and np.isclose(x.numpy()[0, 0, 0], -1.0)
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got "
                                        "autodiff.int64."):
        F.normalize(autodiff.zeros(1, 2, 2, dtype=autodiff.int64), [0], [1])
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(autodiff.zeros(1, 2, 2), [0.], [0.])
    with pytest.raises(ValueError, match="Expected tensor to be a tensor image of size "):
        F.normalize(autodiff.zeros(2, 2), [0.], [1.])


def test_convert_image_dtype():
    u8 = autodiff.tensor([[[0, 128, 255]]], dtype=autodiff.uint8)
    f = T.ConvertImageDtype(autodiff.float32)(u8)
    np.testing.assert_allclose(f.numpy(), [[[0, 128 / 255, 1]]], rtol=1e-6)
    back = F.convert_image_dtype(autodiff.tensor([[[0.0, 0.5, 1.0]]]), autodiff.uint8)
    assert back.tolist() == [[[0, 127, 255]]]
    with pytest.raises(RuntimeError, match="The cast from autodiff.float32 to autodiff.int64 "
                                           "cannot be performed safely."):
        F.convert_image_dtype(autodiff.zeros(1, 1, 1), autodiff.int64)


# ---- geometry -----------------------------------------------------------------------------------
def test_resize_shorter_side_and_values(rgb):
    img, _ = rgb
    assert T.Resize(2)(img).size == (3, 2)                     # PIL size is (w, h)
    assert T.Resize(8)(img).size == (12, 8)
    assert T.Resize((5, 7))(img).size == (7, 5)
    assert T.Resize(8)(T.ToTensor()(img)).shape == (3, 8, 12)
    assert T.Resize(3, max_size=5)(img).size == (4, 3)
    assert T.Resize(4, max_size=5)(img).size == (5, 3)         # the longer side is capped
    line = autodiff.tensor([[[0.0, 1.0]]])
    up = T.Resize((1, 4))(line)                               # bilinear, pixel centres aligned
    np.testing.assert_allclose(up.numpy(), [[[0, 0.25, 0.75, 1]]], atol=1e-6)
    near = T.Resize((1, 4), interpolation=T.InterpolationMode.NEAREST)(line)
    assert near.tolist() == [[[0, 0, 1, 1]]]
    flat = autodiff.full((3, 5, 5), 100, dtype=autodiff.uint8)
    small = T.Resize(2)(flat)
    assert small.dtype == autodiff.uint8 and (small.numpy() == 100).all()
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        T.Resize((1, 2, 3))


def test_crops(rgb):
    img, arr = rgb
    t = T.PILToTensor()(img)
    assert (np.array(T.CenterCrop(2)(img)) == arr[1:3, 2:4]).all()
    assert (T.CenterCrop((2, 3))(t).numpy() == chw(arr)[:, 1:3, 2:5]).all()   # round(1.5) == 2
    big = T.CenterCrop((6, 6))(t)
    assert big.shape == (3, 6, 6) and (big.numpy()[:, 1:5, :] == chw(arr)).all()
    assert (big.numpy()[:, 0] == 0).all() and (big.numpy()[:, 5] == 0).all()
    padded = np.pad(chw(arr), ((0, 0), (2, 2), (2, 2)))
    windows = {padded[:, i:i + 3, j:j + 3].tobytes() for i in range(6) for j in range(8)}
    autodiff.manual_seed(1)
    crops = [T.RandomCrop(3, padding=2)(t) for _ in range(20)]
    assert all(c.shape == (3, 3, 3) and c.numpy().tobytes() in windows for c in crops)
    assert len({c.numpy().tobytes() for c in crops}) > 5
    autodiff.manual_seed(1)
    assert (T.RandomCrop(3, padding=2)(t).numpy() == crops[0].numpy()).all()
    assert np.array(T.RandomCrop(3, padding=2)(img)).shape == (3, 3, 3)
    assert T.RandomCrop((6, 8), pad_if_needed=True)(t).shape == (3, 6, 8)
    with pytest.raises(ValueError, match=r"Required crop size \(5, 5\) is larger than input "
                                         r"image size \(4, 6\)"):
        T.RandomCrop(5)(t)
    out = T.RandomResizedCrop((5, 7))(img)
    assert out.size == (7, 5)
    for _ in range(20):
        top, left, h, w = T.RandomResizedCrop.get_params(t, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= top and top + h <= 4 and 0 <= left and left + w <= 6 and h > 0 and w > 0


def test_flips_and_rotation(rgb):
    img, arr = rgb
    t = T.PILToTensor()(img)
    assert (np.array(T.RandomHorizontalFlip(1.0)(img)) == arr[:, ::-1]).all()
    assert (T.RandomHorizontalFlip(1.0)(t).numpy() == chw(arr)[:, :, ::-1]).all()
    assert (T.RandomVerticalFlip(1.0)(t).numpy() == chw(arr)[:, ::-1]).all()
    assert T.RandomHorizontalFlip(0.0)(img) is img
    square = arr[:, :4]
    turned = T.RandomRotation((90, 90))(Image.fromarray(square))
    assert (np.array(turned) == np.rot90(square)).all()               # counter-clockwise
    turned_t = T.RandomRotation((90, 90))(autodiff.tensor(chw(square)))
    assert (turned_t.numpy() == chw(np.rot90(square))).all()
    filled = F.rotate(autodiff.ones(1, 4, 4), 45.0, fill=0.5)
    assert filled.numpy()[0, 0, 0] == 0.5 and filled.numpy()[0, 2, 2] == 1.0
    assert T.RandomRotation(30, expand=True)(img).size[0] > 6
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive"):
        T.RandomRotation(-1)


# ---- colour -------------------------------------------------------------------------------------
def test_color_jitter_fixed_factors():
    x = autodiff.tensor([[[0.2, 0.6]], [[0.4, 0.1]], [[0.0, 0.9]]])       # (3, 1, 2)
    bright = T.ColorJitter(brightness=(2, 2))(x)
    np.testing.assert_allclose(bright.numpy(), np.clip(2 * x.numpy(), 0, 1), atol=1e-6)
    gray = 0.2989 * x.numpy()[0] + 0.587 * x.numpy()[1] + 0.114 * x.numpy()[2]
    flat = T.ColorJitter(contrast=(0, 0))(x)
    np.testing.assert_allclose(flat.numpy(), np.full((3, 1, 2), gray.mean()), atol=1e-6)
    desat = T.ColorJitter(saturation=(0, 0))(x)
    np.testing.assert_allclose(desat.numpy(), np.broadcast_to(gray, (3, 1, 2)), atol=1e-6)
    red = autodiff.tensor([[[1.0]], [[0.0]], [[0.0]]])
    green = T.ColorJitter(hue=(1 / 3, 1 / 3))(red)
    np.testing.assert_allclose(green.numpy().ravel(), [0, 1, 0], atol=1e-5)
    red_img = Image.new("RGB", (2, 2), (255, 0, 0))
    r, g, b = np.array(T.ColorJitter(hue=(1 / 3, 1 / 3))(red_img))[0, 0]
    assert r < 10 and g > 245 and b < 10
    assert (np.array(T.ColorJitter(brightness=(0, 0))(red_img)) == 0).all()
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)


def test_color_jitter_random_and_grayscale(rgb):
    img, arr = rgb
    autodiff.manual_seed(2)
    a = np.array(T.ColorJitter(0.5, 0.5, 0.5, 0.1)(img))
    autodiff.manual_seed(2)
    assert (np.array(T.ColorJitter(0.5, 0.5, 0.5, 0.1)(img)) == a).all()
    assert not (a == arr).all()
    g = T.Grayscale()(T.ToTensor()(img))
    weights = np.float32([0.2989, 0.587, 0.114])
    expected = np.tensordot(weights, chw(arr).astype(np.float32) / 255, axes=1)
    np.testing.assert_allclose(g.numpy()[0], expected, atol=1e-6)
    g3 = T.Grayscale(3)(img)
    assert g3.mode == "RGB" and (np.array(g3)[..., 0] == np.array(g3)[..., 2]).all()
    assert T.Grayscale()(img).mode == "L"


def test_reprs():
    pipeline = T.Compose([T.Resize(32), T.CenterCrop(28), T.ToTensor(),
                          T.Normalize((0.5,), (0.5,))])
    assert repr(pipeline) == (
        "Compose(\n"
        "    Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)\n"
        "    CenterCrop(size=(28, 28))\n"
        "    ToTensor()\n"
        "    Normalize(mean=(0.5,), std=(0.5,))\n"
        ")")
    assert repr(T.RandomResizedCrop(8)) == ("RandomResizedCrop(size=(8, 8), scale=(0.08, 1.0), "
                                            "ratio=(0.75, 1.3333), interpolation=bilinear, "
                                            "antialias=True)")
    assert repr(T.RandomRotation(30)) == ("RandomRotation(degrees=[-30.0, 30.0], "
                                          "interpolation=nearest, expand=False, fill=0)")
    assert repr(T.ColorJitter(brightness=0.5, hue=0.1)) == (
        "ColorJitter(brightness=(0.5, 1.5), contrast=None, saturation=None, hue=(-0.1, 0.1))")
    assert repr(T.RandomCrop(4, padding=2)) == "RandomCrop(size=(4, 4), padding=2)"
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.Grayscale()) == "Grayscale(num_output_channels=1)"
    assert repr(T.Lambda(abs)) == "Lambda()" and repr(T.PILToTensor()) == "PILToTensor()"
    assert repr(T.ToPILImage("RGB")) == "ToPILImage(mode=RGB)"


class Noise(autodiff.utils.data.Dataset):
    """Each sample passes a random crop: what a worker draws depends on its seed."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return T.RandomCrop(2)(autodiff.arange(64.).view(1, 8, 8))


def test_random_transforms_in_workers_differ():
    batches = [b for b in DataLoader(Noise(), batch_size=2, num_workers=2)]
    assert not (batches[0].numpy() == batches[1].numpy()).all()


# ---- ImageFolder --------------------------------------------------------------------------------
@pytest.fixture
def folder(tmp_path):
    for cls, colour in (("dog", 200), ("cat", 50)):
        (tmp_path / cls).mkdir()
        for k in range(3 if cls == "cat" else 2):
            Image.new("L", (5, 4), colour + k).save(tmp_path / cls / f"{k}.png")
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    return tmp_path


def test_image_folder(folder):
    ds = datasets.ImageFolder(folder)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert [p.split("/")[-2:] for p, _ in ds.samples] == [["cat", "0.png"], ["cat", "1.png"],
                                                          ["cat", "2.png"], ["dog", "0.png"],
                                                          ["dog", "1.png"]]
    assert ds.targets == [0, 0, 0, 1, 1] and ds.imgs == ds.samples and len(ds) == 5
    img, label = ds[4]
    assert img.mode == "RGB" and img.size == (5, 4) and label == 1
    assert np.array(img)[0, 0].tolist() == [201, 201, 201]
    ds = datasets.ImageFolder(str(folder), transform=T.ToTensor(),
                              target_transform=lambda y: y * 10)
    x, y = ds[0]
    assert x.shape == (3, 4, 5) and y == 0 and ds[3][1] == 10
    assert repr(ds) == ("Dataset ImageFolder\n"
                        "    Number of datapoints: 5\n"
                        f"    Root location: {folder}\n"
                        "    StandardTransform\n"
                        "Transform: ToTensor()\n"
                        "Target transform: <lambda>".replace("<lambda>", repr(ds.target_transform)))
    xb, yb = next(iter(DataLoader(ds, batch_size=5)))
    assert xb.shape == (5, 3, 4, 5) and yb.tolist() == [0, 0, 0, 10, 10]
    only_first = datasets.ImageFolder(folder, is_valid_file=lambda p: p.endswith("0.png"))
    assert len(only_first) == 2


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.ImageFolder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty. "
                                                "Supported extensions are: .jpg, .jpeg"):
        datasets.ImageFolder(tmp_path)
    assert len(datasets.ImageFolder(tmp_path, allow_empty=True)) == 0


# ---- make_grid / save_image ---------------------------------------------------------------------
def test_make_grid_geometry():
    batch = autodiff.arange(5 * 3 * 4 * 4.).view(5, 3, 4, 4)
    grid = utils.make_grid(batch, nrow=2, padding=1, pad_value=-1)
    assert grid.shape == (3, 3 * 5 + 1, 2 * 5 + 1)
    g, b = grid.numpy(), batch.numpy()
    for k in range(5):
        row, col = divmod(k, 2)
        top, left = row * 5 + 1, col * 5 + 1
        assert (g[:, top:top + 4, left:left + 4] == b[k]).all()
    assert (g[:, 11:15, 6:10] == -1).all()                    # the empty sixth cell
    assert (g[:, 0] == -1).all() and (g[:, :, 5] == -1).all()
    default = utils.make_grid(autodiff.zeros(10, 1, 2, 2))     # nrow=8, padding=2, 3 channels
    assert default.shape == (3, 2 * 4 + 2, 8 * 4 + 2)
    assert utils.make_grid(autodiff.zeros(1, 3, 5, 6)).shape == (3, 5, 6)
    assert utils.make_grid([autodiff.zeros(1, 2, 2)] * 3, padding=0).shape == (3, 2, 6)


def test_make_grid_normalize():
    batch = autodiff.tensor([[[[0.0, 2.0]]], [[[4.0, 8.0]]]])
    together = utils.make_grid(batch, normalize=True, padding=0).numpy()[0]
    np.testing.assert_allclose(together, [[0, 0.25, 0.5, 1]])
    each = utils.make_grid(batch, normalize=True, scale_each=True, padding=0).numpy()[0]
    np.testing.assert_allclose(each, [[0, 1, 0, 1]])
    ranged = utils.make_grid(batch, normalize=True, value_range=(0, 4), padding=0).numpy()[0]
    np.testing.assert_allclose(ranged, [[0, 0.5, 1, 1]])
    assert (batch.numpy()[1] == [4, 8]).all()                  # input not modified
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        utils.make_grid(batch, normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        utils.make_grid(np.zeros((2, 3, 4, 4)))


def test_save_image(tmp_path):
    batch = autodiff.rand(3, 3, 4, 4)
    utils.save_image(batch, tmp_path / "grid.png", nrow=3, padding=1)
    saved = np.array(Image.open(tmp_path / "grid.png"))
    assert saved.shape == (6, 16, 3)
    expected = np.clip(batch.numpy()[1].transpose(1, 2, 0) * 255 + 0.5, 0, 255).astype(np.uint8)
    assert (saved[1:5, 6:10] == expected).all()
