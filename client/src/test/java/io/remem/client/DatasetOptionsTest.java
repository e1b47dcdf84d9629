package io.remem.client;

import io.remem.protocol.DatasetOpen;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatasetOptionsTest {
    @Test
    void openCreateAndExclusiveBecomeTheDispositionsTheControllerActsOn() {
        assertThat(DatasetOptions.open().request("users", 0))
                .isEqualTo(new DatasetOpen("users", DatasetOpen.Disposition.OPEN, 0, 0));
        assertThat(DatasetOptions.create(4096).request("users", 2))
                .isEqualTo(new DatasetOpen("users", DatasetOpen.Disposition.OPEN_OR_CREATE, 4096, 2));
        assertThat(DatasetOptions.create(4096).replication(3).exclusive().request("users", 2))
                .as("its own replication wins over the session's")
                .isEqualTo(new DatasetOpen("users", DatasetOpen.Disposition.CREATE, 4096, 3));
    }

    @Test
    void badOptionsAreRefusedNamingWhatIsWrong() {
        assertThatThrownBy(() -> DatasetOptions.create(0)).hasMessageContaining("bytes");
        assertThatThrownBy(() -> DatasetOptions.open().exclusive()).hasMessageContaining("exclusive create needs a size");
        assertThatThrownBy(() -> DatasetOptions.create(1).replication(0)).hasMessageContaining("replication");
        assertThatThrownBy(() -> DatasetOptions.create(1).replication(9)).hasMessageContaining("replication");
        assertThatThrownBy(() -> DatasetOptions.open().request("no spaces", 0)).hasMessageContaining("dataset name");
    }
}
