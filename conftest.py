pytest_plugins = ["spec.plugin"]
