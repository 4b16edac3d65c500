def fuse_elementwise(graph, outputs):
    return {}
