package com.droponair;

import java.util.Collections;
import java.util.List;

/** One page of {@link DropOnAirClient#listRooms}: newest first. */
public final class RoomPage {
    private final List<Room> rooms;
    private final String nextCursor;

    RoomPage(List<Room> rooms, String nextCursor) {
        this.rooms = Collections.unmodifiableList(rooms);
        this.nextCursor = nextCursor;
    }

    public List<Room> getRooms() {
        return rooms;
    }

    /** Pass it to the next {@code listRooms} call; null on the last page. */
    public String getNextCursor() {
        return nextCursor;
    }
}
