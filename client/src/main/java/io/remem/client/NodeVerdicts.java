package io.remem.client;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies the controller's word on memory nodes to this runtime's links: a dead node is dropped at once. */
final class NodeVerdicts implements ControllerEvents.Listener {
    private static final Logger log = LoggerFactory.getLogger(NodeVerdicts.class);

    private final NodeLinks links;

    NodeVerdicts(NodeLinks links) {
        this.links = links;
    }

    @Override
    public void nodeDown(long nodeId) {
        log.info("the controller declared memory node {} dead; requests to it fail over now", nodeId);
        links.markDown(nodeId);
    }

    @Override
    public void nodeUp(long nodeId) {
        links.markUp(nodeId);
    }

    @Override
    public void reconnected() {
        links.forgetVerdicts();
    }
}
