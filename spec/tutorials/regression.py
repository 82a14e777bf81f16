"""The code of "Understanding PyTorch with an example: a step-by-step tutorial" (seeds 000 and 001).

The reference implementation the claims in spec/claims/regression.toml exercise. Tests reach it only
through the ``tutorial`` fixture, so a learner's module with the same names can be swapped in: every
function and class keeps the tutorial's signature and a docstring quoting the tutorial.

The tutorial runs its loops at module level with a global ``device``; here each loop is a function that
takes the training tensors (already on the device) or the device, and returns what the tutorial prints.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split


# --- Data Generation ---------------------------------------------------------------------------

def data_gen():
    """Synthetic data, split into train and validation sets.

    "Let's start generating some synthetic data: 100 points for our feature x and create our labels,
    using a = 1, b = 2 and some Gaussian noise." ... "split our synthetic data into train and validation
    sets, shuffling the array of indices and using the first 80 shuffled points for training."

        np.random.seed(42)
        a, b = 1, 2
        x = np.random.rand(100, 1)
        y = a + b * x + .1 * np.random.randn(100, 1)

    Then shuffle ``idx = np.arange(100)`` with ``np.random.shuffle``; the first 80 shuffled indices are
    the training set, the remaining 20 the validation set.

    Returns ``x_train, y_train, x_val, y_val`` (NumPy float64 arrays of shape (80, 1) and (20, 1)).
    """
    np.random.seed(42)
    a, b = 1, 2
    x = np.random.rand(100, 1)
    y = a + b * x + .1 * np.random.randn(100, 1)
    idx = np.arange(100)
    np.random.shuffle(idx)
    train_idx = idx[:80]
    val_idx = idx[80:]
    x_train, y_train = x[train_idx], y[train_idx]
    x_val, y_val = x[val_idx], y[val_idx]
    return x_train, y_train, x_val, y_val


def full_data():
    """All 100 generated points, before any split (the Random Split section starts from them).

    "x_tensor = torch.from_numpy(x).float()" -- the same ``x`` and ``y`` that data_gen() generates
    (``np.random.seed(42)``, ``x = np.random.rand(100, 1)``, ``y = a + b * x + .1 * np.random.randn(100, 1)``
    with a = 1, b = 2), not shuffled.

    Returns ``x, y`` (NumPy float64 arrays of shape (100, 1)).
    """
    np.random.seed(42)
    a, b = 1, 2
    x = np.random.rand(100, 1)
    y = a + b * x + .1 * np.random.randn(100, 1)
    return x, y


# --- Linear Regression in Numpy (seed 001) -------------------------------------------------------

def numpy_linear_regression(x_train, y_train, lr=1e-1, n_epochs=1000):
    """Linear regression by batch gradient descent in NumPy.

    "It's time to implement our linear regression model using gradient descent using Numpy."
    "Random initialization of parameters/weights (we have only two, a and b)" with
    ``np.random.seed(42); a = np.random.randn(1); b = np.random.randn(1)`` -- "the random seed is 42".
    "For each epoch, there are four training steps": compute the predictions ``yhat = a + b * x_train``,
    the loss (MSE of ``error = y_train - yhat``), the gradients ``a_grad = -2 * error.mean()`` and
    ``b_grad = -2 * (x_train * error).mean()``, and update ``a = a - lr * a_grad`` (same for b).

    Returns ``a, b`` (NumPy arrays of shape (1,)).
    """
    np.random.seed(42)
    a = np.random.randn(1)
    b = np.random.randn(1)
    for _ in range(n_epochs):
        yhat = a + b * x_train
        error = y_train - yhat
        a_grad = -2 * error.mean()
        b_grad = -2 * (x_train * error).mean()
        a = a - lr * a_grad
        b = b - lr * b_grad
    return a, b


# --- Loading Data, Devices and CUDA ------------------------------------------------------------

def to_tensor(array, device):
    """A NumPy array as a float32 tensor on ``device``.

    "Our data was in Numpy arrays, but we need to transform them into PyTorch's Tensors and then we
    send them to the chosen device":

        x_train_tensor = torch.from_numpy(x_train).float().to(device)
    """
    return torch.from_numpy(array).float().to(device)


# --- Creating Parameters -----------------------------------------------------------------------

def make_parameters(device):
    """The parameters a and b, seeded, created directly on the device.

    "specify the device at the moment of creation -- RECOMMENDED!"

        torch.manual_seed(42)
        a = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
        b = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)

    Returns ``a, b`` (leaf tensors of shape (1,) on ``device`` that require grad).
    """
    torch.manual_seed(42)
    a = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
    b = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
    return a, b


# --- Autograd: the manual update (THIRD ATTEMPT) -----------------------------------------------

def train_manual_autograd(x_train_tensor, y_train_tensor, lr=1e-1, n_epochs=1000):
    """Gradient descent with autograd and a manual update inside ``torch.no_grad()``.

    The parameters come from ``make_parameters`` on the data's device (``torch.manual_seed(42)``).
    Each epoch: ``yhat = a + b * x_train_tensor``, ``loss = ((y_train_tensor - yhat) ** 2).mean()``,
    ``loss.backward()``, then "We need to use NO_GRAD to keep the update out of the gradient
    computation":

        with torch.no_grad():
            a -= lr * a.grad
            b -= lr * b.grad
        a.grad.zero_()
        b.grad.zero_()

    Returns ``a, b``; the tutorial prints
    ``tensor([1.0235], requires_grad=True) tensor([1.9690], requires_grad=True)``.
    """
    a, b = make_parameters(x_train_tensor.device)
    for _ in range(n_epochs):
        yhat = a + b * x_train_tensor
        error = y_train_tensor - yhat
        loss = (error ** 2).mean()
        loss.backward()
        with torch.no_grad():
            a -= lr * a.grad
            b -= lr * b.grad
        a.grad.zero_()
        b.grad.zero_()
    return a, b


# --- Optimizer ---------------------------------------------------------------------------------

def train_sgd(x_train_tensor, y_train_tensor, lr=1e-1, n_epochs=1000):
    """The same loop with an optimizer doing the update and the zeroing.

    "We use one of PyTorch's optimizers, like SGD or Adam." Parameters from ``make_parameters`` on the
    data's device, then ``optimizer = optim.SGD([a, b], lr=lr)``; each epoch computes the loss as
    ``((y_train_tensor - yhat) ** 2).mean()``, calls ``loss.backward()``, ``optimizer.step()`` and
    ``optimizer.zero_grad()``.

    Returns ``a, b``.
    """
    a, b = make_parameters(x_train_tensor.device)
    optimizer = optim.SGD([a, b], lr=lr)
    for _ in range(n_epochs):
        yhat = a + b * x_train_tensor
        error = y_train_tensor - yhat
        loss = (error ** 2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return a, b


# --- Loss --------------------------------------------------------------------------------------

def train_mse_loss(x_train_tensor, y_train_tensor, lr=1e-1, n_epochs=1000):
    """The same loop with ``nn.MSELoss`` computing the loss.

    "Notice that nn.MSELoss actually creates a loss function for us -- it is NOT the loss function
    itself." ``loss_fn = nn.MSELoss(reduction='mean')``; each epoch
    ``loss = loss_fn(y_train_tensor, yhat)``, ``loss.backward()``, ``optimizer.step()``,
    ``optimizer.zero_grad()`` with ``optim.SGD([a, b], lr=lr)`` and a, b from ``make_parameters``.

    Returns ``a, b``.
    """
    a, b = make_parameters(x_train_tensor.device)
    loss_fn = nn.MSELoss(reduction='mean')
    optimizer = optim.SGD([a, b], lr=lr)
    for _ in range(n_epochs):
        yhat = a + b * x_train_tensor
        loss = loss_fn(y_train_tensor, yhat)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return a, b


# --- Model -------------------------------------------------------------------------------------

class ManualLinearRegression(nn.Module):
    """Our model: two parameters a and b, and ``forward(x) = a + b * x``.

    "In PyTorch, a model is represented by a regular Python class that inherits from the Module class."
    ``__init__``: "To make "a" and "b" real parameters of the model, we need to wrap them with
    nn.Parameter": ``self.a = nn.Parameter(torch.randn(1, requires_grad=True, dtype=torch.float))``
    (then ``self.b`` the same way). ``forward(self, x)``: "Computes the outputs / predictions",
    ``return self.a + self.b * x``.
    """

    def __init__(self):
        """Tutorial: "it defines the parts that make up the model -- in our case, two parameters, a and b"."""
        super().__init__()
        self.a = nn.Parameter(torch.randn(1, requires_grad=True, dtype=torch.float))
        self.b = nn.Parameter(torch.randn(1, requires_grad=True, dtype=torch.float))

    def forward(self, x):
        """Tutorial: "it performs the actual computation, that is, it outputs a prediction, given the input x"."""
        return self.a + self.b * x


def train_model(model, x_train_tensor, y_train_tensor, lr=1e-1, n_epochs=1000):
    """Train any model with the Full Code's loop and return it.

    ``loss_fn = nn.MSELoss(reduction='mean')``, ``optimizer = optim.SGD(model.parameters(), lr=lr)``
    ("parameters() instead of a,b"); each epoch ``model.train()``, ``yhat = model(x_train_tensor)``,
    ``loss = loss_fn(y_train_tensor, yhat)``, ``loss.backward()``, ``optimizer.step()``,
    ``optimizer.zero_grad()``. The model must already be on the data's device ("we need to send our
    model to the same device where the data is").

    Returns the trained model (the same object); for ManualLinearRegression created under
    ``torch.manual_seed(42)`` its state_dict prints a = 1.0235, b = 1.9690.
    """
    loss_fn = nn.MSELoss(reduction='mean')
    optimizer = optim.SGD(model.parameters(), lr=lr)
    for _ in range(n_epochs):
        model.train()
        yhat = model(x_train_tensor)
        loss = loss_fn(y_train_tensor, yhat)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return model


# --- Nested and Sequential Models --------------------------------------------------------------

class LayerLinearRegression(nn.Module):
    """A nested model: a ``nn.Linear(1, 1)`` layer as an attribute.

    "Instead of our custom parameters, we use a Linear layer with single input and single output":
    ``self.linear = nn.Linear(1, 1)``; "Now it only takes a call to the layer to make predictions":
    ``forward(self, x)`` returns ``self.linear(x)``.
    """

    def __init__(self):
        """A single ``nn.Linear(1, 1)`` layer as ``self.linear``."""
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        """Tutorial: "Now it only takes a call to the layer to make predictions": ``self.linear(x)``."""
        return self.linear(x)


def sequential_model(device):
    """The Sequential Models section's one-layer model: "Alternatively, you can use a Sequential model":

        model = nn.Sequential(nn.Linear(1, 1)).to(device)
    """
    return nn.Sequential(nn.Linear(1, 1)).to(device)


# --- Training Step -----------------------------------------------------------------------------

def make_train_step(model, loss_fn, optimizer):
    """Build the function that performs one step of the training loop.

    "a function that takes those three elements and returns another function that performs a training
    step, taking a set of features and labels as arguments and returning the corresponding loss":
    ``train_step(x, y)`` sets ``model.train()``, makes predictions ``yhat = model(x)``, computes
    ``loss = loss_fn(y, yhat)``, calls ``loss.backward()``, "Updates parameters and zeroes gradients"
    (``optimizer.step()``, ``optimizer.zero_grad()``) and returns ``loss.item()``.
    """
    def train_step(x, y):
        model.train()
        yhat = model(x)
        loss = loss_fn(y, yhat)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.item()
    return train_step


def train_with_train_step(model, x_train_tensor, y_train_tensor, lr=1e-1, n_epochs=1000):
    """The Training Step section's loop: one ``train_step`` per epoch, losses collected.

    ``loss_fn = nn.MSELoss(reduction='mean')``, ``optimizer = optim.SGD(model.parameters(), lr=lr)``,
    ``train_step = make_train_step(model, loss_fn, optimizer)``; "For each epoch... Performs one train
    step and returns the corresponding loss": ``losses.append(train_step(x_train_tensor, y_train_tensor))``.

    Returns ``losses`` (a list of n_epochs Python floats); the model is trained in place.
    """
    loss_fn = nn.MSELoss(reduction='mean')
    optimizer = optim.SGD(model.parameters(), lr=lr)
    train_step = make_train_step(model, loss_fn, optimizer)
    losses = []
    for _ in range(n_epochs):
        loss = train_step(x_train_tensor, y_train_tensor)
        losses.append(loss)
    return losses


# --- Dataset (seed 001) ------------------------------------------------------------------------

class CustomDataset(Dataset):
    """A dataset of (features, label) pairs held in two tensors.

    "In PyTorch, a dataset is represented by a regular Python class that inherits from the Dataset
    class. You can think of it as a kind of a Python list of tuples, each tuple corresponding to one
    point (features, label)." ``__init__(self, x_tensor, y_tensor)`` keeps the two tensors;
    ``__getitem__(self, index)`` returns the tuple ``(self.x[index], self.y[index])``; ``__len__(self)``
    returns ``len(self.x)``.
    """

    def __init__(self, x_tensor, y_tensor):
        """Keep the features as ``self.x`` and the labels as ``self.y``."""
        self.x = x_tensor
        self.y = y_tensor

    def __getitem__(self, index):
        """The tuple (features, label) of point ``index``: ``(self.x[index], self.y[index])``."""
        return (self.x[index], self.y[index])

    def __len__(self):
        """Tutorial: "it should simply return the size of the whole dataset": ``len(self.x)``."""
        return len(self.x)


# --- Random Split and DataLoader ---------------------------------------------------------------

def make_loaders(x_tensor, y_tensor, generator=None):
    """Split all points 80/20 with random_split and wrap both parts in DataLoaders.

    "PyTorch's random_split() method is an easy and familiar way of performing a training-validation
    split":

        dataset = TensorDataset(x_tensor, y_tensor)
        train_dataset, val_dataset = random_split(dataset, [80, 20])
        train_loader = DataLoader(dataset=train_dataset, batch_size=16)
        val_loader = DataLoader(dataset=val_dataset, batch_size=20)

    ``generator`` (a seeded ``torch.Generator``) makes the split reproducible; it is passed to
    random_split. Returns ``train_loader, val_loader``.
    """
    dataset = TensorDataset(x_tensor, y_tensor)
    if generator is None:
        train_dataset, val_dataset = random_split(dataset, [80, 20])
    else:
        train_dataset, val_dataset = random_split(dataset, [80, 20], generator=generator)
    train_loader = DataLoader(dataset=train_dataset, batch_size=16)
    val_loader = DataLoader(dataset=val_dataset, batch_size=20)
    return train_loader, val_loader


# --- Evaluation --------------------------------------------------------------------------------

def validation_loss(model, loss_fn, x_val, y_val):
    """The validation step of the Evaluation section, for one mini-batch already on the device.

    "torch.no_grad(): ... it is a good practice to wrap the validation inner loop with this context
    manager to disable any gradient calculation" and "eval(): ... setting the model to evaluation
    mode":

        with torch.no_grad():
            model.eval()
            yhat = model(x_val)
            val_loss = loss_fn(y_val, yhat)

    Returns ``val_loss`` (a 0-dim tensor with no graph behind it).
    """
    with torch.no_grad():
        model.eval()
        yhat = model(x_val)
        val_loss = loss_fn(y_val, yhat)
    return val_loss


def train_minibatches(model, train_loader, val_loader, device, lr=1e-1, n_epochs=1000):
    """Mini-batch training with a validation loop (the Evaluation section's loop).

    ``loss_fn = nn.MSELoss(reduction='mean')``, ``optimizer = optim.SGD(model.parameters(), lr=lr)``,
    ``train_step = make_train_step(model, loss_fn, optimizer)``. Each epoch: for every
    ``x_batch, y_batch`` of ``train_loader`` (sent ``.to(device)``) append ``train_step(x_batch, y_batch)``
    to ``losses``; then for every batch of ``val_loader`` (sent ``.to(device)``) append
    ``validation_loss(model, loss_fn, x_val, y_val).item()`` to ``val_losses``.

    Returns ``losses, val_losses`` (lists of Python floats); the model is trained in place.
    """
    loss_fn = nn.MSELoss(reduction='mean')
    optimizer = optim.SGD(model.parameters(), lr=lr)
    train_step = make_train_step(model, loss_fn, optimizer)
    losses = []
    val_losses = []
    for _ in range(n_epochs):
        for x_batch, y_batch in train_loader:
            x_batch = x_batch.to(device)
            y_batch = y_batch.to(device)
            losses.append(train_step(x_batch, y_batch))
        for x_val, y_val in val_loader:
            x_val = x_val.to(device)
            y_val = y_val.to(device)
            val_losses.append(validation_loss(model, loss_fn, x_val, y_val).item())
    return losses, val_losses
