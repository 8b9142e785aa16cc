package com.droponair;

/** Takes the changes of one room's call (the SDK's {@link MeshSignaling}); on the callback executor. */
interface CallConsumer {
    void onCallChange(CallChange change);
}
