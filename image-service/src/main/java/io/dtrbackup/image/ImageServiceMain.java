package io.dtrbackup.image;

import io.dtrbackup.common.service.ServiceLauncher;

/** Runs image-service: archives DTR registry volumes into the staging bucket. */
public final class ImageServiceMain {
    private ImageServiceMain() {
    }

    public static void main(String[] args) {
        ServiceLauncher.main(ImageServiceConfig.SERVICE_NAME, ImageServiceConfig.parameters(), ImageServiceVerticle::new);
    }
}
