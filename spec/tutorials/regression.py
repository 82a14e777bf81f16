"""Exercises for "Understanding PyTorch with an example: a step-by-step tutorial" (seeds 000 and 001).

Read the tutorial section by section and write each function and class below the way its code does.
The tutorial runs most of its code at module level (a global ``device``, one loop after another);
here each of those pieces is a function that takes what the tutorial had at hand (the training
tensors, the model, the device) and returns what it prints, so that it can be checked. Each docstring
quotes the tutorial and says what to take and what to return; its first line says when the name is
ours and not the tutorial's.
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

    Seed NumPy with 42 first; the first 80 shuffled indices are the training set, the remaining 20 the
    validation set.

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
    """The tutorial uses data_gen's x and y at module level; here a function returns them so it can be checked.

    The Random Split section starts from them ("x_tensor = torch.from_numpy(x).float()"): all 100
    points, generated exactly as data_gen generates them (same seed, same a and b), before any
    shuffle or split.

    Returns ``x, y`` (NumPy float64 arrays of shape (100, 1)).
    """
    np.random.seed(42)
    a, b = 1, 2
    x = np.random.rand(100, 1)
    y = a + b * x + .1 * np.random.randn(100, 1)
    return x, y


# --- Linear Regression in Numpy (seed 001) -------------------------------------------------------

def numpy_linear_regression(x_train, y_train, lr=1e-1, n_epochs=1000):
    """The tutorial describes its NumPy version in words only; here it is a function so it can be checked.

    "It's time to implement our linear regression model using gradient descent using Numpy."
    "Random initialization of parameters/weights (we have only two, a and b)" ... "Make sure to always
    initialize your random seed to ensure reproducibility of your results. As usual, the random seed
    is 42". "For each epoch, there are four training steps: Compute model's predictions — this is the
    forward pass; Compute the loss, using predictions and and labels and the appropriate loss function
    for the task at hand; Compute the gradients for every parameter; Update the parameters".
    a and b start as one standard-normal draw each (``np.random.randn``, a first) right after seeding
    with 42. The loss is the mean squared error; derive its gradients for a and b by hand (NumPy has no
    autograd).

    Takes the training arrays from data_gen, the learning rate ``lr`` and ``n_epochs``.
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
    """The tutorial converts its arrays at module level; here it is a function so it can be checked.

    "Our data was in Numpy arrays, but we need to transform them into PyTorch's Tensors and then we
    send them to the chosen device":

        x_train_tensor = torch.from_numpy(x_train).float().to(device)

    Takes one NumPy array and the device. Returns it as a float32 tensor on ``device``.
    """
    return torch.from_numpy(array).float().to(device)


# --- Creating Parameters -----------------------------------------------------------------------

def make_parameters(device):
    """The tutorial creates a and b at module level; here it is a function so it can be checked.

    "Initializes parameters "a" and "b" randomly"; "set requires_grad=True tells PyTorch we want it to
    compute gradients for us"; "or specify the device at the moment of creation -- RECOMMENDED!"

        torch.manual_seed(42)
        a = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
        b = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)

    Returns ``a, b`` (leaf tensors of shape (1,) on ``device`` that require grad, seeded with 42).
    """
    torch.manual_seed(42)
    a = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
    b = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
    return a, b


# --- Autograd: the manual update (THIRD ATTEMPT) -----------------------------------------------

def train_manual_autograd(x_train_tensor, y_train_tensor, lr=1e-1, n_epochs=1000):
    """The tutorial runs this loop at module level; here it is a function so it can be checked.

    The Autograd section's loop: "We just tell PyTorch to work its way BACKWARDS from the specified
    loss!" ... "THIRD ATTEMPT: We need to use NO_GRAD to keep the update out of the gradient
    computation" ... "PyTorch is "clingy" to its computed gradients, we need to tell it to let it go".
    It starts with ``torch.manual_seed(42)`` and creates a and b on the data's device, as
    make_parameters does.

    Takes the training tensors (already on the device), ``lr`` and ``n_epochs``.
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
    """The tutorial runs this loop at module level; here it is a function so it can be checked.

    The Optimizer section's loop: "We use one of PyTorch's optimizers, like SGD or Adam." ... "An
    optimizer takes the parameters we want to update, the learning rate we want to use ... and
    performs the updates through its step() method." ... "we also don't need to zero the gradients one
    by one anymore. We just invoke the optimizer's zero_grad() method". It starts with
    ``torch.manual_seed(42)`` and creates a and b on the data's device, as make_parameters does.

    Takes the training tensors (already on the device), ``lr`` and ``n_epochs``. Returns ``a, b``.
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
    """The tutorial runs this loop at module level; here it is a function so it can be checked.

    The Loss section's loop: "Since ours is a regression, we are using the Mean Square Error (MSE)
    loss." "Notice that nn.MSELoss actually creates a loss function for us -- it is NOT the loss
    function itself. Moreover, you can specify a reduction method to be applied". The rest is the
    Optimizer section's loop (``torch.manual_seed(42)``, a and b on the data's device, optim.SGD).

    Takes the training tensors (already on the device), ``lr`` and ``n_epochs``. Returns ``a, b``.
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
    """Our model: the two parameters a and b, and the prediction a + b * x.

    "In PyTorch, a model is represented by a regular Python class that inherits from the Module class."
    "__init__(self): it defines the parts that make up the model -- in our case, two parameters, a and
    b." "forward(self, x): it performs the actual computation, that is, it outputs a prediction, given
    the input x." "To make "a" and "b" real parameters of the model, we need to wrap them with
    nn.Parameter"; each starts as ``torch.randn(1, dtype=torch.float)``.
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
    """The tutorial runs this loop at module level; here it is a function so it can be checked.

    The Full Code's loop: the Loss section's loop with the model doing the predictions --
    "parameters() instead of a,b" -- and ``model.train()`` each epoch ("Its only purpose is to set the
    model to training mode"). "IMPORTANT: we need to send our model to the same device where the data
    is": the model you are given is already there; train that model, do not make a new one.

    Takes the model, the training tensors, ``lr`` and ``n_epochs``. Returns the trained model (the
    same object); for ManualLinearRegression created under ``torch.manual_seed(42)`` its state_dict
    prints a = 1.0235, b = 1.9690.
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
    """A nested model: PyTorch's Linear model as an attribute of our own.

    "Let's use PyTorch's Linear model as an attribute of our own, thus creating a nested model."
    "Instead of our custom parameters, we use a Linear layer with single input and single output",
    kept as ``self.linear``; "Now it only takes a call to the layer to make predictions".
    """

    def __init__(self):
        """Tutorial: "we use a Linear layer with single input and single output" (as ``self.linear``)."""
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        """Tutorial: "Now it only takes a call to the layer to make predictions"."""
        return self.linear(x)


def sequential_model(device):
    """The tutorial builds this model at module level; here it is a function so it can be checked.

    "For straightforward models, that use run-of-the-mill layers, where the output of a layer is
    sequentially fed as an input to the next, we can use a, er... Sequential model":

        model = nn.Sequential(nn.Linear(1, 1)).to(device)

    Returns that one-layer model, on ``device``.
    """
    return nn.Sequential(nn.Linear(1, 1)).to(device)


# --- Training Step -----------------------------------------------------------------------------

def make_train_step(model, loss_fn, optimizer):
    """Builds function that performs a step in the train loop.

    "how about writing a function that takes those three elements and returns another function that
    performs a training step, taking a set of features and labels as arguments and returning the
    corresponding loss?" The inner ``train_step(x, y)`` is "mostly a copy from code inside for-loop":
    it "Sets model to TRAIN mode", "Makes predictions", "Computes loss", "Computes gradients",
    "Updates parameters and zeroes gradients" and "Returns the loss" (a Python float).

    Returns ``train_step`` (the function, not a call of it).
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
    """The tutorial runs this loop at module level; here it is a function so it can be checked.

    The Training Step section's loop: "Creates the train_step function for our model, loss function
    and optimizer" (the Full Code's MSE loss and SGD), then "For each epoch... Performs one train step
    and returns the corresponding loss", collected in ``losses``.

    Takes the model (trained in place), the training tensors, ``lr`` and ``n_epochs``.
    Returns ``losses`` (a list of n_epochs Python floats).
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
    """The tutorial describes this class in words only; here it is a class so it can be checked.

    "In PyTorch, a dataset is represented by a regular Python class that inherits from the Dataset
    class. You can think of it as a kind of a Python list of tuples, each tuple corresponding to one
    point (features, label)." Its three methods: "__init__(self) : it takes whatever arguments needed
    to build a list of tuples — ... it may be two tensors, one for features, another one for labels",
    "__get_item__(self, index): it allows the dataset to be indexed, so it can work like a list
    (dataset[i]) — it must return a tuple (features, label) corresponding to the requested data
    point" (Python calls it ``__getitem__``), and "__len__(self): it should simply return the size
    of the whole dataset".
    """

    def __init__(self, x_tensor, y_tensor):
        """Keep the features as ``self.x`` and the labels as ``self.y``."""
        self.x = x_tensor
        self.y = y_tensor

    def __getitem__(self, index):
        """The tuple (features, label) of point ``index``."""
        return (self.x[index], self.y[index])

    def __len__(self):
        """Tutorial: "it should simply return the size of the whole dataset"."""
        return len(self.x)


# --- Random Split and DataLoader ---------------------------------------------------------------

def make_loaders(x_tensor, y_tensor, generator=None):
    """The tutorial builds its loaders at module level; here it is a function so it can be checked.

    "PyTorch's random_split() method is an easy and familiar way of performing a training-validation
    split":

        dataset = TensorDataset(x_tensor, y_tensor)
        train_dataset, val_dataset = random_split(dataset, [80, 20])
        train_loader = DataLoader(dataset=train_dataset, batch_size=16)
        val_loader = DataLoader(dataset=val_dataset, batch_size=20)

    Takes all 100 points as tensors and ``generator``: a seeded ``torch.Generator`` for random_split
    (so the split is reproducible), or None for torch's default one.
    Returns ``train_loader, val_loader``.
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

def train_minibatches(model, train_loader, val_loader, device, lr=1e-1, n_epochs=1000):
    """The tutorial runs this loop at module level; here it is a function so it can be checked.

    The Evaluation section's loop: each epoch, every mini-batch of ``train_loader`` is sent to the
    device and trained with one ``train_step`` (the Full Code's MSE loss and SGD); then "another inner
    loop to handle the mini-batches that come from the validation loader, sending them to the same
    device as our model", with "two small, yet important, things to consider: torch.no_grad(): even
    though it won't make a difference in our simple model, it is a good practice to wrap the
    validation inner loop with this context manager to disable any gradient calculation" ... "eval():
    the only thing it does is setting the model to evaluation mode (just like its train() counterpart
    did)".

    Takes the model (trained in place), the two loaders, the device, ``lr`` and ``n_epochs``.
    Returns ``losses, val_losses`` (lists of Python floats: one per training batch, one per
    validation batch).
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
        with torch.no_grad():
            for x_val, y_val in val_loader:
                x_val = x_val.to(device)
                y_val = y_val.to(device)
                model.eval()
                yhat = model(x_val)
                val_loss = loss_fn(y_val, yhat)
                val_losses.append(val_loss.item())
    return losses, val_losses
